"""Approving a campaign: the snapshot is frozen and the first run scheduled; every refusal the issue names
says why and leaves the draft as it was (no audit row, no snapshot)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.catalog.models import Game
from lottocrm.db.engine import transaction
from lottocrm.errors import ServiceError
from lottocrm.marketing.campaigns import service
from lottocrm.marketing.campaigns.approval import approve_campaign
from lottocrm.marketing.campaigns.definition import CampaignInputError
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.marketing.campaigns.settings import CampaignSettings

from .helpers import APPROVER, AUTHOR, definition, published_template, segment, write_record

AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
LATER = AS_OF + dt.timedelta(hours=2)
EVERYONE = {"field": "profile.registration_channel", "op": "known"}


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AS_OF):
        yield


@pytest.fixture
def bare(engine: Engine) -> dict[str, int]:
    return {"template": published_template(engine), "segment": segment(engine, EVERYONE)}


@pytest.fixture
def world(engine: Engine, contactable) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = contactable(120)
    # Half bought within the last week: a 50 % baseline, plenty of expected responders in a 10 % control.
    write_record(engine, ids[:60], as_of=AS_OF.date(), bought_on=AS_OF.date() - dt.timedelta(days=3))
    write_record(engine, ids[60:], as_of=AS_OF.date() - dt.timedelta(days=1), bought_on=None)
    return {"template": published_template(engine), "segment": segment(engine, EVERYONE)}


def _draft(engine: Engine, world: dict[str, int], **more) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        campaign = service.create_campaign(
            session,
            actor=AUTHOR,
            name="Весенний розыгрыш",
            segment_id=world["segment"],
            definition=definition(world["template"], at=LATER, **more),
        )
        return campaign.id


def test_an_approved_campaign_is_frozen_and_scheduled(engine: Engine, world: dict[str, int]) -> None:
    campaign_id = _draft(engine, world, expected_uplift=0.3, control_share=0.3, response={"window_days": 7})
    with transaction(engine) as session:
        approval = approve_campaign(session, actor=APPROVER, campaign_id=campaign_id)
    with transaction(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "scheduled"
        assert campaign.next_run_at == LATER and approval.first_run_at == LATER
        assert (
            campaign.approved_by == APPROVER.name and campaign.approved_audience == approval.counts["chosen"]
        )
        snapshot = campaign.snapshot or {}
        assert snapshot["segment"]["version"] == 1 and snapshot["segment"]["definition"] == EVERYONE
        assert set(snapshot["template_versions"]) == {"A"}
    assert approval.counts["segment"] == 120 and approval.counts["global_holdout"] > 0
    assert approval.control == round(approval.counts["chosen"] * 0.3)
    assert approval.detectability is not None and approval.detectability.measurable


def _refused(engine: Engine, campaign_id: int, error: type[ServiceError], text: str, **more) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        audit_rows = session.scalar(select(func.count()).select_from(AuditEvent))
    with transaction(engine) as session, pytest.raises(error) as refused:
        approve_campaign(session, campaign_id=campaign_id, **{"actor": APPROVER, **more})
    assert text in str(refused.value)
    with transaction(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "draft" and campaign.snapshot is None
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows


def test_approval_by_its_author_above_the_threshold_is_refused(engine: Engine, world: dict[str, int]) -> None:
    campaign_id = _draft(engine, world)
    small = CampaignSettings(four_eyes_players=10)
    _refused(
        engine,
        campaign_id,
        ServiceError,
        "needs an approver other than its author",
        actor=AUTHOR,
        settings=small,
    )
    with transaction(engine) as session:
        assert (
            approve_campaign(
                session, actor=AUTHOR, campaign_id=campaign_id, settings=CampaignSettings()
            ).four_eyes
            is False
        )


def test_a_schedule_in_the_past_is_refused(engine: Engine, world: dict[str, int]) -> None:
    with transaction(engine) as session:
        campaign_id = service.create_campaign(
            session,
            actor=AUTHOR,
            name="Вчера",
            segment_id=world["segment"],
            definition=definition(world["template"], at=AS_OF - dt.timedelta(minutes=1)),
        ).id
    _refused(engine, campaign_id, CampaignInputError, "which has passed")


def test_a_draw_that_does_not_exist_is_refused(engine: Engine, world: dict[str, int]) -> None:
    draw_schedule = {"kind": "draw", "game_id": 777, "hours_before": 3}
    campaign_id = _draft(engine, world, schedule=draw_schedule)
    _refused(engine, campaign_id, CampaignInputError, "game 777 does not exist")
    with transaction(engine) as session:
        session.add(Game(id=777, code="g777", name="Лото", kind="draw", ticket_price_kopecks=10_000))
    _refused(engine, campaign_id, CampaignInputError, "no scheduled draw ahead")


def test_an_empty_audience_is_refused(engine: Engine, world: dict[str, int]) -> None:
    with transaction(engine) as session:
        nobody = segment(engine, {"field": "profile.region", "op": "eq", "value": "RU-ZZZ"}, name="Никто")
        campaign_id = service.create_campaign(
            session,
            actor=AUTHOR,
            name="Пусто",
            segment_id=nobody,
            definition=definition(world["template"], at=LATER),
        ).id
    _refused(engine, campaign_id, ServiceError, "holds no player")


def test_channels_without_consent_are_refused(engine: Engine, world: dict[str, int]) -> None:
    # Nobody has a push device or consent for calls.
    campaign_id = _draft(engine, world, channels=["push", "call"])
    _refused(engine, campaign_id, ServiceError, "may be sent marketing on push, call")


def test_a_control_too_small_to_measure_is_refused_unless_accepted(
    engine: Engine, world: dict[str, int]
) -> None:
    campaign_id = _draft(engine, world, expected_uplift=0.01)
    _refused(engine, campaign_id, ServiceError, "would go unseen")
    with transaction(engine) as session:
        approval = approve_campaign(
            session, actor=APPROVER, campaign_id=campaign_id, accept_small_control=True
        )
    assert approval.detectability is not None and approval.detectability.measurable is False


def test_a_segment_where_nobody_bought_is_told_there_is_no_rate(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    ids = contactable(60)
    write_record(engine, ids, as_of=AS_OF.date(), bought_on=None)
    world = {"template": published_template(engine), "segment": segment(engine, EVERYONE)}
    campaign_id = _draft(engine, world)
    # Not "at the segment's recent purchase rate, 0.0 %": the missing sales are named.
    _refused(engine, campaign_id, ServiceError, "nobody in the segment has bought in the last")


def test_a_service_template_cannot_carry_a_campaign(engine: Engine, world: dict[str, int]) -> None:
    service_template = published_template(engine, code="win", message_class="service")
    campaign_id = _draft(engine, world, variants=[{"name": "A", "template_id": service_template}])
    _refused(engine, campaign_id, CampaignInputError, "is not a marketing template")


def test_only_a_draft_is_approved_and_only_a_draft_is_edited(engine: Engine, world: dict[str, int]) -> None:
    campaign_id = _draft(engine, world)
    with transaction(engine) as session:
        approve_campaign(session, actor=APPROVER, campaign_id=campaign_id)
    with transaction(engine) as session, pytest.raises(ServiceError, match="only a draft is approved"):
        approve_campaign(session, actor=APPROVER, campaign_id=campaign_id)
    with transaction(engine) as session, pytest.raises(ServiceError, match="only a draft can be edited"):
        service.update_campaign(session, actor=AUTHOR, campaign_id=campaign_id, name="Другое")


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        ({"channels": []}, "channels"),
        ({"channels": ["sms", "sms"]}, "a channel is listed twice"),
        ({"channels": ["fax"]}, "channels.0"),
        ({"control_share": 0.9}, "control_share"),
        ({"schedule": {"kind": "cron", "cron": "every day"}}, "is not a cron line"),
        ({"schedule": {"kind": "once", "at": "2026-03-10T12:00:00"}}, "needs its time zone"),
        ({"schedule": {"kind": "draw", "game_id": 1}}, "needs hours_before"),
        ({"variants": [{"name": "A", "template_id": 1}, {"name": "A", "template_id": 2}]}, "share a name"),
        (
            {"response": {"kind": "loyalty_enrolment", "game_id": 3}},
            "a game narrows a purchase response only",
        ),
        ({"surprise": True}, "surprise"),
    ],
)
def test_a_bad_campaign_document_is_refused_with_its_place(
    engine: Engine, bare: dict[str, int], change, fault
) -> None:  # type: ignore[no-untyped-def]
    document = definition(bare["template"], at=LATER)
    document.update(change)
    with transaction(engine) as session, pytest.raises(CampaignInputError) as refused:
        service.create_campaign(
            session, actor=AUTHOR, name="x", segment_id=bare["segment"], definition=document
        )
    assert fault in str(refused.value)
