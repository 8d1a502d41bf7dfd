"""The jackpot trigger: a campaign launched by the watcher when the jackpot of its game's next draw exceeds
the threshold — once per draw, however often the watcher looks and however the jackpot moves; and the bad
inputs of the jackpot schedule and of the offer, each refused with where and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from lottocrm import clock
from lottocrm.catalog.models import Draw, Game
from lottocrm.db.engine import transaction
from lottocrm.jobs.models import Job, JobSchedule
from lottocrm.marketing.campaigns import service
from lottocrm.marketing.campaigns.approval import approve_campaign
from lottocrm.marketing.campaigns.definition import CampaignInputError, parse_definition
from lottocrm.marketing.campaigns.jackpot import watch
from lottocrm.marketing.campaigns.models import Campaign, CampaignRun

from .helpers import APPROVER, AUTHOR, published_template, segment, write_record

AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
GAME = 7
THRESHOLD = 100_000_000_00  # 100 million roubles
EVERYONE = {"field": "profile.registration_channel", "op": "known"}


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AS_OF):
        yield


def _document(template: int, **schedule: Any) -> dict[str, Any]:
    return {
        "channels": ["sms"],
        "variants": [{"name": "A", "template_id": template}],
        "control_share": 0.2,
        "schedule": {"kind": "jackpot", "game_id": GAME, "jackpot_above_kopecks": THRESHOLD, **schedule},
    }


def _draws(engine: Engine) -> list[int]:
    with transaction(engine) as session:
        session.add(Game(id=GAME, code="rl", name="Русское лото", kind="draw", ticket_price_kopecks=10_000))
        session.flush()
        for number in (1, 2):
            session.add(
                Draw(
                    id=GAME * 100 + number,
                    game_id=GAME,
                    number=number,
                    draw_at=AS_OF + dt.timedelta(days=7 * number),
                    jackpot_kopecks=THRESHOLD // 2,
                    status="scheduled",
                )
            )
    return [GAME * 100 + 1, GAME * 100 + 2]


def _jackpot(engine: Engine, draw_id: int, kopecks: int) -> None:
    with transaction(engine) as session:
        session.execute(update(Draw).where(Draw.id == draw_id).values(jackpot_kopecks=kopecks))


def _runs(engine: Engine, campaign_id: int) -> list[str]:
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(CampaignRun.occurrence)
                .where(CampaignRun.campaign_id == campaign_id)
                .order_by(CampaignRun.id)
            )
        )


def test_the_jackpot_trigger_fires_once_per_draw(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    ids = contactable(80)
    write_record(engine, ids, as_of=AS_OF.date(), bought_on=AS_OF.date() - dt.timedelta(days=2))
    first, second = _draws(engine)
    template = published_template(engine)
    with transaction(engine) as session:
        campaign_id = service.create_campaign(
            session,
            actor=AUTHOR,
            name="Суперприз растёт",
            segment_id=segment(engine, EVERYONE),
            definition=_document(template),
        ).id
    with transaction(engine) as session:
        approve_campaign(session, actor=APPROVER, campaign_id=campaign_id)
    with transaction(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "scheduled" and campaign.kind == "recurring"
        assert session.scalars(select(Job).where(Job.kind == "marketing.launch_campaign")).all() == []
        assert session.scalar(select(JobSchedule.kind).where(JobSchedule.name == "campaign jackpots")) == (
            "marketing.watch_jackpots"
        )
    assert watch(engine) == [] and _runs(engine, campaign_id) == []
    _jackpot(engine, first, THRESHOLD)  # equal is not above
    assert watch(engine) == []
    _jackpot(engine, first, THRESHOLD + 1)
    later = AS_OF + dt.timedelta(hours=1)
    with clock.frozen(later):
        assert len(watch(engine)) == 1
        assert watch(engine) == []
    _jackpot(engine, first, THRESHOLD * 2)  # still the same draw
    with clock.frozen(later + dt.timedelta(hours=1)):
        assert watch(engine) == []
    assert _runs(engine, campaign_id) == [f"jackpot:{first}"]
    with transaction(engine) as session:
        session.execute(update(Draw).where(Draw.id == first).values(status="drawn"))
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "scheduled"
    _jackpot(engine, second, THRESHOLD + 1)
    with clock.frozen(AS_OF + dt.timedelta(days=8)):
        assert len(watch(engine)) == 1
        assert watch(engine) == []
    assert _runs(engine, campaign_id) == [f"jackpot:{first}", f"jackpot:{second}"]


def test_a_jackpot_schedule_for_an_unknown_game_is_refused(engine: Engine) -> None:
    template = published_template(engine)
    with transaction(engine) as session:
        campaign_id = service.create_campaign(
            session,
            actor=AUTHOR,
            name="Нет игры",
            segment_id=segment(engine, EVERYONE),
            definition=_document(template),
        ).id
    refusal = "game 7 does not exist: a jackpot trigger needs one"
    with pytest.raises(CampaignInputError, match=refusal), transaction(engine) as session:
        approve_campaign(session, actor=APPROVER, campaign_id=campaign_id)
    with transaction(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "draft"


@pytest.mark.parametrize("amount", [0, -5])
def test_a_jackpot_threshold_not_above_zero_is_refused(amount: int) -> None:
    with pytest.raises(
        CampaignInputError, match="schedule.jackpot_above_kopecks: Input should be greater than 0"
    ):
        parse_definition(_document(1, jackpot_above_kopecks=amount))


def test_a_jackpot_schedule_needs_its_game_and_threshold() -> None:
    document = _document(1)
    del document["schedule"]["jackpot_above_kopecks"]
    with pytest.raises(CampaignInputError, match="a jackpot schedule needs jackpot_above_kopecks"):
        parse_definition(document)


@pytest.mark.parametrize(
    ("offer", "problem"),
    [
        ({}, "an offer gives bonus points, a promo code or a next-game suggestion"),
        ({"promo_code": True, "budget_kopecks": 100}, "a budget needs the value of one player's offer"),
        (
            {"promo_code": True, "value_kopecks": 100, "cap_to_budget": True},
            "capping to the budget needs a budget",
        ),
        ({"bonus_points": 0}, "offer.bonus_points: Input should be greater than or equal to 1"),
        (
            {"promo_code": True, "value_kopecks": -1},
            "offer.value_kopecks: Input should be greater than or equal to 0",
        ),
    ],
    ids=["nothing_offered", "budget_without_value", "cap_without_budget", "zero_points", "negative_value"],
)
def test_a_bad_offer_is_refused_with_its_place(offer: dict[str, Any], problem: str) -> None:
    document = _document(1)
    document["schedule"] = {"kind": "once", "at": "2027-01-01T10:00:00+03:00"}
    with pytest.raises(CampaignInputError) as refused:
        parse_definition({**document, "offer": offer})
    assert problem in refused.value.message
