"""Launching a run: members of both arms chosen at once, control players written to the contact history as
"control", the treated queued as templated messages through the gate chunk by chunk, the campaign done (or
scheduled for its next occurrence); a second launch is refused; a killed launch resumes without a
duplicate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from lottocrm import clock
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.db.engine import transaction
from lottocrm.errors import ServiceError
from lottocrm.jobs.models import Job
from lottocrm.marketing.campaigns import launch as launching
from lottocrm.marketing.campaigns import service
from lottocrm.marketing.campaigns.approval import approve_campaign
from lottocrm.marketing.campaigns.launch import launch, queue_run
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.marketing.campaigns.timeline import CAMPAIGN_TIMELINE
from lottocrm.messaging.models import Message

from .helpers import APPROVER, AUTHOR, definition, published_template, segment, write_record

AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
LATER = AS_OF + dt.timedelta(hours=2)


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AS_OF):
        yield


def _approved(engine: Engine, contactable, far_east: int = 0, **more) -> int:  # type: ignore[no-untyped-def]
    ids = contactable(80) + (contactable(far_east, region="RU-KAM") if far_east else [])
    write_record(engine, ids, as_of=AS_OF.date(), bought_on=AS_OF.date() - dt.timedelta(days=2))
    template = published_template(engine)
    everyone = segment(engine, {"field": "profile.registration_channel", "op": "known"})
    with transaction(engine) as session:
        campaign = service.create_campaign(
            session,
            actor=AUTHOR,
            name="Тираж выходного дня",
            segment_id=everyone,
            definition=definition(template, at=LATER, control_share=0.2, **more),
        )
    with transaction(engine) as session:
        approve_campaign(session, actor=APPROVER, campaign_id=campaign.id)
    return campaign.id


def test_a_run_chooses_both_arms_and_queues_the_treated(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    campaign_id = _approved(engine, contactable)
    with transaction(engine) as session:
        job = session.scalars(select(Job).where(Job.kind == "marketing.launch_campaign")).one()
        assert job.run_at == LATER and job.payload == {"campaign_id": campaign_id, "occurrence": "once"}
    with clock.frozen(LATER):
        result = launch(engine, campaign_id=campaign_id)
    counts = result.counts
    assert counts["treatment"] + counts["control"] == counts["chosen"] == 80 - counts["global_holdout"]
    assert counts["queued"] == counts["treatment"] and counts["stopped_at_queueing"] == 0
    with transaction(engine) as session:
        members = session.execute(select(CampaignMember.arm, CampaignMember.message_id)).all()
        messages = session.scalars(select(Message).where(Message.source_id == str(campaign_id))).all()
        controls = session.scalar(
            select(func.count()).where(
                ContactHistory.outcome == "control", ContactHistory.source_id == str(campaign_id)
            )
        )
        campaign = session.get(Campaign, campaign_id)
        run = session.get(CampaignRun, result.run_id)
    assert {message.id for message in messages} == {mid for arm, mid in members if arm == "treatment"}
    assert all(mid is None for arm, mid in members if arm == "control")
    assert controls == counts["control"]
    assert {message.channel for message in messages} == {"sms"} and all(
        m.template_version_id for m in messages
    )
    assert campaign is not None and campaign.status == "done" and run is not None and run.status == "queued"
    # The 360 timeline says which campaign reached the player and in which arm.
    with transaction(engine) as session:
        arms = dict(session.execute(select(CampaignMember.arm, CampaignMember.player_id)).all())
        shown = {
            arm: CAMPAIGN_TIMELINE.entries(session, player_id=player, before=None, limit=5)
            for arm, player in arms.items()
        }
    assert [entry.kind for entry in shown["control"]] == ["campaign_control"]
    assert [entry.kind for entry in shown["treatment"]] == ["campaign_treatment"]
    assert shown["treatment"][0].link == f"/campaigns/{campaign_id}"
    with pytest.raises(ServiceError, match="only a scheduled campaign is launched"):
        launch(engine, campaign_id=campaign_id)


def test_a_killed_launch_resumes_without_a_duplicate(engine: Engine, contactable, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    campaign_id = _approved(engine, contactable)
    monkeypatch.setattr(launching, "CHUNK", 10)

    def killed(done: int, _total: int) -> None:
        if done >= 20:
            raise KeyboardInterrupt

    with clock.frozen(LATER), pytest.raises(KeyboardInterrupt):
        launch(engine, campaign_id=campaign_id, progress=killed)
    with transaction(engine) as session:
        run = session.scalars(select(CampaignRun)).one()
        assert run.status == "selecting" and run.counts["queued"] == 20
    with clock.frozen(LATER):
        queue_run(engine, run_id=run.id)
    with transaction(engine) as session:
        queued = session.scalar(select(func.count()).select_from(Message))
        treated = session.scalar(select(func.count()).where(CampaignMember.arm == "treatment"))
        assert queued == treated


def test_a_recurring_campaign_is_scheduled_for_its_next_occurrence(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    campaign_id = _approved(engine, contactable, schedule={"kind": "cron", "cron": "0 15 * * *"})
    with clock.frozen(LATER + dt.timedelta(hours=1)):  # 15:00 Moscow on 10 March
        first = launch(engine, campaign_id=campaign_id)
    with transaction(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "scheduled"
        assert campaign.next_run_at == dt.datetime(2026, 3, 11, 12, 0, tzinfo=dt.UTC)
        assert session.scalar(select(func.count()).where(Job.kind == "marketing.launch_campaign")) == 2
    assert first.occurrence == "2026-03-10T12:00+00:00"
    with clock.frozen(LATER + dt.timedelta(hours=1)), pytest.raises(ServiceError, match="launched already"):
        launch(engine, campaign_id=campaign_id, occurrence=first.occurrence)


def test_players_in_their_quiet_hours_are_queued_for_their_morning(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    campaign_id = _approved(engine, contactable, far_east=20)
    with clock.frozen(LATER):  # 14:00 in Moscow, 23:00 in Kamchatka
        result = launch(engine, campaign_id=campaign_id)
    assert result.counts["queued"] == result.counts["treatment"]
    with transaction(engine) as session:
        rows = session.execute(
            select(Message.not_before, Message.player_id).where(Message.source_id == str(campaign_id))
        ).all()
        held = {player for not_before, player in rows if not_before is not None}
        far = set(session.scalars(select(CampaignMember.player_id).where(CampaignMember.player_id > 80)))
        outcomes = dict(
            session.execute(
                select(ContactHistory.message_id, ContactHistory.outcome).where(
                    ContactHistory.source_id == str(campaign_id), ContactHistory.message_id.is_not(None)
                )
            ).all()
        )
    treated_far = {player for _nb, player in rows if player in far}
    assert held == treated_far and held
    assert set(outcomes.values()) == {"permitted", "held"}
    assert all(not_before > LATER for not_before, _p in rows if not_before is not None)
