"""A campaign's offer, end to end: promo codes unique per treated member and shown in the rendered text; the
next game shown; bonus points credited through the loyalty ledger to treated responders only, once, even
when the job runs twice; the budget refused at approval, or the run capped to it; the offer's cost in the
four-eyes threshold."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, insert, select

from lottocrm import clock
from lottocrm.analytics.propensity.models import PlayerNextGame
from lottocrm.catalog.models import Game
from lottocrm.db.engine import transaction
from lottocrm.jobs.models import JobSchedule
from lottocrm.lake.store import Lake
from lottocrm.loyalty.ledger.accounts import member_account
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyOperation
from lottocrm.marketing.campaigns import service
from lottocrm.marketing.campaigns.approval import SecondApproverNeeded, approve_campaign
from lottocrm.marketing.campaigns.launch import launch
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember
from lottocrm.marketing.campaigns.offer_models import CampaignOfferCredit, CampaignPromoCode
from lottocrm.marketing.campaigns.offer_points import credit_responders
from lottocrm.marketing.campaigns.offers import OfferOverBudget, offer_spend
from lottocrm.marketing.campaigns.settings import CampaignSettings
from lottocrm.marketing.promo_codes import ALPHABET
from lottocrm.messaging import demo
from lottocrm.messaging.models import Message
from lottocrm.messaging.render_due import Text, render_due
from lottocrm.messaging.templates import service as templates

from .helpers import APPROVER, AUTHOR, definition, segment, write_record

AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
LATER = AS_OF + dt.timedelta(hours=2)
EVERYONE = {"field": "profile.registration_channel", "op": "known"}
SMS = "{{ first_name }}, ваш код {{ promo_code }}. Попробуйте «{{ next_game }}». Отписка: СТОП"
NEXT_GAME = 41


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AS_OF):
        yield


def _template(engine: Engine, sms: str = SMS) -> int:
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=AUTHOR, code="promo", name="Промокод", message_class="marketing"
        )
        bodies = dataclasses.replace(demo.WELCOME, sms_text=sms)
        draft = templates.save_draft(session, actor=AUTHOR, template_id=template.id, bodies=bodies)
        templates.publish_version(session, actor=AUTHOR, version_id=draft.version.id)
        return template.id


def _players(engine: Engine, contactable, count: int = 100) -> list[int]:  # type: ignore[no-untyped-def]
    ids = contactable(count)
    write_record(engine, ids, as_of=AS_OF.date(), bought_on=AS_OF.date() - dt.timedelta(days=2))
    return ids


def _campaign(engine: Engine, template: int, offer: dict[str, Any], **more: Any) -> int:
    everyone = segment(engine, EVERYONE)
    document = definition(template, at=LATER, offer=offer, **{"control_share": 0.2, **more})
    document["channels"] = ["sms"]
    with transaction(engine) as session:
        return service.create_campaign(
            session, actor=AUTHOR, name="Промокод к тиражу", segment_id=everyone, definition=document
        ).id


def _approve(engine: Engine, campaign_id: int, **options: Any) -> None:
    with transaction(engine) as session:
        approve_campaign(session, actor=APPROVER, campaign_id=campaign_id, **options)


def _members(engine: Engine) -> dict[int, str]:
    with transaction(engine) as session:
        return dict(session.execute(select(CampaignMember.player_id, CampaignMember.arm)).all())


def _texts(engine: Engine, campaign_id: int) -> dict[int, str]:
    """Each treated player's SMS as the dispatcher renders it."""
    with transaction(engine) as session:
        messages = session.execute(
            select(
                Message.id,
                Message.player_id,
                Message.channel,
                Message.message_class,
                Message.template_version_id,
                Message.source_kind,
                Message.source_id,
            ).where(Message.source_id == str(campaign_id))
        ).all()
        rendered = render_due(session, messages, at=LATER)
    by_player = {}
    for message in messages:
        text = rendered[message.id]
        assert isinstance(text, Text), text
        by_player[message.player_id] = text.body
    return by_player


def test_promo_codes_are_unique_per_treated_member_and_in_the_text(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    _players(engine, contactable)
    campaign_id = _campaign(
        engine, _template(engine, SMS.replace(" Попробуйте «{{ next_game }}».", "")), {"promo_code": True}
    )
    _approve(engine, campaign_id)
    with clock.frozen(LATER):
        launch(engine, campaign_id=campaign_id)
    arms = _members(engine)
    with transaction(engine) as session:
        codes = dict(session.execute(select(CampaignPromoCode.player_id, CampaignPromoCode.code)).all())
    treated = {player for player, arm in arms.items() if arm == "treatment"}
    assert set(codes) == treated and len(treated) > 50 and "control" in arms.values()
    assert len(set(codes.values())) == len(codes)
    assert all(len(code) == 8 and set(code) <= set(ALPHABET) for code in codes.values())
    texts = _texts(engine, campaign_id)
    assert set(texts) == treated
    for player, body in texts.items():
        assert f"ваш код {codes[player]}." in body


def test_a_template_naming_the_promo_code_fails_loudly_without_a_promo_offer(
    engine: Engine, contactable
) -> None:  # type: ignore[no-untyped-def]
    _players(engine, contactable, 40)
    campaign_id = _campaign(engine, _template(engine), {"next_game": True}, control_share=0.1)
    _approve(engine, campaign_id, accept_small_control=True)
    with clock.frozen(LATER):
        launch(engine, campaign_id=campaign_id)
    with transaction(engine) as session:
        messages = session.execute(
            select(
                Message.id,
                Message.player_id,
                Message.channel,
                Message.message_class,
                Message.template_version_id,
                Message.source_kind,
                Message.source_id,
            )
        ).all()
        rendered = render_due(session, messages, at=LATER)
    assert messages and all(
        not isinstance(text, Text) and "promo_code" in text.error for text in rendered.values()
    )


def test_the_next_game_is_in_the_text(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    ids = _players(engine, contactable)
    with transaction(engine) as session:
        session.add(
            Game(
                id=NEXT_GAME,
                code="housing",
                name="Жилищная лотерея",
                kind="draw",
                ticket_price_kopecks=10_000,
            )
        )
        session.flush()
        session.execute(
            insert(PlayerNextGame),
            [
                {
                    "as_of": AS_OF.date(),
                    "player_id": pid,
                    "rank": 1,
                    "game_id": NEXT_GAME,
                    "score": 0.5,
                    "propensity": 0.5,
                    "lift": None,
                    "reason_kind": "propensity",
                    "reason_detail": None,
                }
                for pid in ids
            ],
        )
    campaign_id = _campaign(engine, _template(engine), {"promo_code": True, "next_game": True})
    _approve(engine, campaign_id)
    with clock.frozen(LATER):
        launch(engine, campaign_id=campaign_id)
    texts = _texts(engine, campaign_id)
    assert len(texts) > 50
    assert all("Попробуйте «Жилищная лотерея»." in body for body in texts.values())


def _tickets(lake: Lake, bought: list[tuple[int, dt.datetime]]) -> None:
    rows = [
        {
            "ticket_id": number,
            "player_id": pid,
            "game_id": 1,
            "draw_id": None,
            "channel": "website",
            "pos_id": None,
            "region": "RU-MOW",
            "price_kopecks": 10_000,
            "sold_at": at,
        }
        for number, (pid, at) in enumerate(bought, start=1)
    ]
    lake.append("tickets", pa.Table.from_pylist(rows), batch_id="offer-responses")


def test_points_are_credited_to_treated_responders_only_and_once(
    engine: Engine, contactable, settings
) -> None:  # type: ignore[no-untyped-def]
    ids = _players(engine, contactable)
    offer = {"bonus_points": 300, "value_kopecks": 3_000, "budget_kopecks": 10_000_000}
    campaign_id = _campaign(engine, _template(engine), {**offer, "promo_code": True})
    _approve(engine, campaign_id)
    with transaction(engine) as session:
        assert session.scalar(
            select(JobSchedule.kind).where(JobSchedule.name == "campaign offer points")
        ) == ("marketing.credit_offer_points")
    with clock.frozen(LATER):
        result = launch(engine, campaign_id=campaign_id)
    arms = _members(engine)
    treated = sorted(p for p, arm in arms.items() if arm == "treatment")
    control = sorted(p for p, arm in arms.items() if arm == "control")
    without_account = treated[0]
    with transaction(engine) as session:
        for pid in ids:
            if pid != without_account:
                member_account(session, pid)
    inside = LATER + dt.timedelta(days=3)
    responders = treated[:20]
    late = treated[20:25]  # bought after the 14-day window: not a response
    lake = Lake(settings.lake_path)
    _tickets(
        lake,
        [(pid, inside) for pid in responders + control[:5]]
        + [(pid, LATER + dt.timedelta(days=20)) for pid in late],
    )
    paid = set(responders) - {without_account}
    with clock.frozen(LATER + dt.timedelta(days=5)):
        first = credit_responders(engine, lake=lake)
        second = credit_responders(engine, lake=lake)
    assert (first.credited, first.without_account) == (len(paid), 1)
    assert second.credited == 0
    with transaction(engine) as session:
        balances = dict(
            session.execute(
                select(LoyaltyAccount.player_id, LoyaltyAccount.balance).where(
                    LoyaltyAccount.kind == "member"
                )
            ).all()
        )
        credits = set(session.scalars(select(CampaignOfferCredit.player_id)))
        operations = session.scalar(
            select(func.count()).where(LoyaltyOperation.source_key.like(f"campaign-offer:{result.run_id}:%"))
        )
        spend = offer_spend(session, run_ids=[result.run_id])
    assert credits == paid and operations == len(paid)
    assert {pid for pid, balance in balances.items() if balance == 300} == paid
    assert all(balance == 0 for pid, balance in balances.items() if pid not in paid)
    assert spend == {"credited": len(paid), "points": 300 * len(paid), "kopecks": 3_000 * len(paid)}


def test_an_offer_over_its_budget_is_refused_at_approval(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    _players(engine, contactable)
    offer = {"bonus_points": 100, "value_kopecks": 10_000, "budget_kopecks": 200_000}
    campaign_id = _campaign(engine, _template(engine), offer)
    with pytest.raises(OfferOverBudget) as refused:
        _approve(engine, campaign_id)
    assert (
        "over its budget of 2 000.00 ₽" in refused.value.message
        and "(20 treated players)" in refused.value.message
    )
    with transaction(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "draft" and campaign.snapshot is None


def test_an_offer_capped_to_its_budget_keeps_both_arms_in_proportion(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    _players(engine, contactable, 150)
    offer = {"bonus_points": 100, "value_kopecks": 10_000, "budget_kopecks": 400_000, "cap_to_budget": True}
    campaign_id = _campaign(engine, _template(engine), offer)
    _approve(engine, campaign_id)
    with transaction(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.snapshot["approved_cost_kopecks"] == 400_000
    with clock.frozen(LATER):
        result = launch(engine, campaign_id=campaign_id)
    arms = list(_members(engine).values())
    assert arms.count("treatment") == 40 == result.counts["queued"]
    # The cut is in random order over both arms: the control keeps about its 20 % share.
    assert 5 <= arms.count("control") <= 16
    assert result.counts["offer_capped"] == result.counts["chosen"] - len(arms) > 0


def test_the_offers_cost_counts_for_four_eyes(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    _players(engine, contactable)
    campaign_id = _campaign(engine, _template(engine), {"bonus_points": 100, "value_kopecks": 10_000})
    settings = CampaignSettings(four_eyes_cost_kopecks=100_000)
    with (
        pytest.raises(SecondApproverNeeded, match=r"costing up to [\d ]+\.00 ₽"),
        transaction(engine) as session,
    ):
        approve_campaign(session, actor=AUTHOR, campaign_id=campaign_id, settings=settings)
    with transaction(engine) as session:
        approval = approve_campaign(session, actor=APPROVER, campaign_id=campaign_id, settings=settings)
    assert approval.four_eyes
