"""Cases and interactions through the services, on SQLite and PostgreSQL: SLA due times on the team's
calendar, pauses from the state history, replies stopping timers, breaches as jobs, merges refused."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.contact_centre.cases import merge as merging
from lottocrm.contact_centre.cases import service as cases
from lottocrm.contact_centre.cases.models import Case, CaseLink, CaseStateChange
from lottocrm.contact_centre.cases.timeline import CASE_TIMELINE
from lottocrm.contact_centre.errors import ContactCentreError, MergeRefused, OverlappingHours
from lottocrm.contact_centre.interactions import service as interactions
from lottocrm.contact_centre.interactions.models import Interaction
from lottocrm.contact_centre.interactions.timeline import INTERACTION_TIMELINE
from lottocrm.contact_centre.sla import jobs as sla_jobs
from lottocrm.contact_centre.sla.service import CHECK_JOB
from lottocrm.contact_centre.teams import service as teams
from lottocrm.contact_centre.teams.models import Team
from lottocrm.db.engine import transaction
from lottocrm.jobs.models import Job
from lottocrm.jobs.registry import JobContext
from lottocrm.jobs.service import ClaimedJob

MOSCOW = ZoneInfo("Europe/Moscow")
OPERATOR = Actor("user:operator")
# A Wednesday; the payouts team works 09:00–13:00 and 14:00–18:00, Monday to Friday, in Moscow.
WEDNESDAY_10 = dt.datetime(2026, 12, 2, 10, 0, tzinfo=MOSCOW)


def moscow(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=MOSCOW).astimezone(dt.UTC)


@pytest.fixture
def player_id(engine: Engine, make_player) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return make_player(session).id


def _open(engine: Engine, player_id: int, at: dt.datetime = WEDNESDAY_10) -> int:
    with clock.frozen(at), transaction(engine) as session:
        case = cases.open_case(
            session,
            actor=OPERATOR,
            player_id=player_id,
            case_type="unpaid_prize",
            subject="Не выплачен выигрыш по билету",
            team="payouts",
        )
        return case.id


def _case(engine: Engine, case_id: int) -> Case:
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        session.expunge(case)
        return case


def _counts(engine: Engine) -> tuple[int, ...]:
    with transaction(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Case, CaseStateChange, Interaction, AuditEvent, Job, Team)
        )


def test_a_new_case_gets_due_times_on_its_teams_hours_and_jobs_for_them(
    engine: Engine, player_id: int
) -> None:
    case_id = _open(engine, player_id)
    case = _case(engine, case_id)
    assert case.state == "new"
    assert case.first_response_due_at == moscow(2, 11)
    # 2 400 business minutes = five days of eight hours: next Wednesday at 10:00.
    assert case.resolution_due_at == moscow(9, 10)
    assert case.next_due_at == moscow(2, 11)
    with transaction(engine) as session:
        runs = sorted(
            (job.payload["timer"], job.payload["kind"], job.run_at)
            for job in session.scalars(select(Job).where(Job.kind == CHECK_JOB))
        )
    assert runs == [
        ("first_response", "breach", moscow(2, 11)),
        ("first_response", "warning", moscow(2, 10, 45)),
        ("resolution", "breach", moscow(9, 10)),
        ("resolution", "warning", moscow(9, 9, 45)),
    ]


def test_a_pause_in_the_history_moves_the_resolution_deadline_by_the_business_time_it_lasted(
    engine: Engine, player_id: int
) -> None:
    case_id = _open(engine, player_id)
    with clock.frozen(moscow(2, 12)), transaction(engine) as session:
        cases.change_state(
            session, actor=OPERATOR, case_id=case_id, state="pending_reminder", reminder_at=moscow(4, 9)
        )
    paused = _case(engine, case_id)
    # The clock is stopped; the first response ran out before the pause and stays due.
    assert paused.resolution_due_at is None and paused.next_due_at == moscow(2, 11)
    with clock.frozen(moscow(3, 12)), transaction(engine) as session:
        cases.change_state(session, actor=OPERATOR, case_id=case_id, state="open")
    # Paused from Wednesday 12:00 to Thursday 12:00: 5 + 3 = 8 business hours, one working day later.
    assert _case(engine, case_id).resolution_due_at == moscow(10, 10)


def test_a_live_call_on_the_case_is_its_first_response_and_shows_on_the_timeline(
    engine: Engine, player_id: int
) -> None:
    case_id = _open(engine, player_id)
    with clock.frozen(moscow(2, 10, 40)), transaction(engine) as session:
        interactions.log_interaction(
            session,
            actor=OPERATOR,
            player_id=player_id,
            channel="call",
            direction="inbound",
            queue="payouts",
            operator="operator",
            started_at=moscow(2, 10, 30),
            talk_seconds=240,
            hold_seconds=30,
            acw_seconds=60,
            wrap_code="unpaid_prize",
            notes="Выигрыш 5 000 ₽ не пришёл на карту",
            recording_ref="pbx://2026/12/02/abc.wav",
            case_id=case_id,
            links=[("ticket", 123456789), ("win", 987)],
        )
    case = _case(engine, case_id)
    assert case.state == "open"
    assert case.first_response_at == moscow(2, 10, 30)
    assert case.first_response_minutes == 30 and not case.first_response_breached
    # The call answered the player there and then: no update is awaited.
    assert case.update_due_at is None
    with transaction(engine) as session:
        entries = INTERACTION_TIMELINE.entries(session, player_id=player_id, before=None, limit=10)
        actions = set(session.scalars(select(AuditEvent.action)))
    assert [entry.kind for entry in entries] == ["interaction_call"]
    with transaction(engine) as session:
        case_entries = CASE_TIMELINE.entries(session, player_id=player_id, before=None, limit=10)
    assert [(entry.kind, entry.link) for entry in case_entries] == [
        ("case_state", f"/cases/{case_id}"),
        ("case_opened", f"/cases/{case_id}"),
    ]
    assert {
        "contact_centre.case.open",
        "contact_centre.interaction.log",
        "contact_centre.case.state",
    } <= actions


def test_an_e_mail_from_the_player_waits_for_an_update_and_the_reply_meets_it(
    engine: Engine, player_id: int
) -> None:
    case_id = _open(engine, player_id)
    for at, direction in ((moscow(2, 10, 30), "outbound"), (moscow(2, 15), "inbound")):
        with clock.frozen(at), transaction(engine) as session:
            interactions.log_interaction(
                session,
                actor=OPERATOR,
                player_id=player_id,
                channel="email",
                direction=direction,
                queue="payouts",
                operator="operator",
                started_at=at,
                case_id=case_id,
            )
    # 240 business minutes from 15:00: 15:00–18:00 and 09:00–10:00 the next day.
    assert _case(engine, case_id).update_due_at == moscow(3, 10)
    with clock.frozen(moscow(3, 9, 30)), transaction(engine) as session:
        interactions.log_interaction(
            session,
            actor=OPERATOR,
            player_id=player_id,
            channel="email",
            direction="outbound",
            queue="payouts",
            operator="operator",
            started_at=moscow(3, 9, 30),
            case_id=case_id,
        )
    case = _case(engine, case_id)
    assert case.update_due_at is None and not case.update_breached
    assert case.next_due_at == case.resolution_due_at


def _run_check(engine: Engine, job: Job) -> None:
    claimed = ClaimedJob(
        id=job.id,
        kind=job.kind,
        queue=job.queue,
        payload=job.payload,
        attempt=1,
        max_attempts=job.max_attempts,
        run_at=job.run_at,
    )
    sla_jobs.check(JobContext(job=claimed, engine=engine))


def _check_jobs(engine: Engine, kind: str) -> list[Job]:
    with transaction(engine) as session:
        found = [
            job
            for job in session.scalars(select(Job).where(Job.kind == CHECK_JOB))
            if job.payload["kind"] == kind
        ]
        for job in found:
            session.expunge(job)
        return sorted(found, key=lambda job: job.run_at)


def test_a_breach_job_flags_and_escalates_once_and_a_stale_one_does_nothing(
    engine: Engine, player_id: int
) -> None:
    case_id = _open(engine, player_id)
    first_breach = _check_jobs(engine, "breach")[0]
    assert first_breach.payload["timer"] == "first_response"
    with clock.frozen(moscow(2, 11, 1)):
        _run_check(engine, first_breach)
        _run_check(engine, first_breach)  # run again, as after a killed worker
    case = _case(engine, case_id)
    assert case.first_response_breached and case.escalated_at == moscow(2, 11, 1)
    with transaction(engine) as session:
        breaches = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "contact_centre.sla.breach")
        ).all()
    assert len(breaches) == 1 and breaches[0].detail["timer"] == "first_response"

    # The resolution's warning was scheduled for a due time a pause has since moved: it does nothing.
    with clock.frozen(moscow(2, 12)), transaction(engine) as session:
        cases.change_state(session, actor=OPERATOR, case_id=case_id, state="pending_close")
    stale_warning = [job for job in _check_jobs(engine, "warning") if job.payload["timer"] == "resolution"][0]
    with clock.frozen(moscow(9, 9, 45)):
        _run_check(engine, stale_warning)
    with transaction(engine) as session:
        warned = session.scalar(select(func.count()).where(AuditEvent.action == "contact_centre.sla.warning"))
    assert warned == 0


def test_merging_moves_contacts_and_links_and_leaves_the_source_merged(
    engine: Engine, player_id: int
) -> None:
    source, target = _open(engine, player_id), _open(engine, player_id)
    with clock.frozen(moscow(2, 10, 5)), transaction(engine) as session:
        cases.link(session, actor=OPERATOR, case_id=source, kind="ticket", ref_id=555)
        interactions.log_interaction(
            session,
            actor=OPERATOR,
            player_id=player_id,
            channel="sms",
            direction="inbound",
            queue="general",
            operator="operator",
            started_at=moscow(2, 10, 5),
            case_id=source,
        )
        merging.merge(session, actor=OPERATOR, source_id=source, target_id=target)
    merged = _case(engine, source)
    assert merged.state == "merged" and merged.merged_into_id == target and merged.next_due_at is None
    # The player's SMS came with the contacts: the target now awaits an update, 240 business minutes on.
    into = _case(engine, target)
    assert into.awaiting_since == moscow(2, 10, 5) and into.update_due_at == moscow(2, 15, 5)
    with transaction(engine) as session:
        assert session.scalar(select(Interaction.case_id)) == target
        links = session.execute(select(CaseLink.case_id, CaseLink.kind, CaseLink.ref_id)).all()
    assert links == [(target, "ticket", 555)]


@pytest.mark.parametrize("into", ["itself", "a merged case"])
def test_a_bad_merge_is_refused_and_writes_nothing(engine: Engine, player_id: int, into: str) -> None:
    first, second, third = (_open(engine, player_id) for _ in range(3))
    with transaction(engine) as session:
        merging.merge(session, actor=OPERATOR, source_id=second, target_id=third)
    before = _counts(engine)
    target = first if into == "itself" else second
    with transaction(engine) as session, pytest.raises(MergeRefused) as refused:
        merging.merge(session, actor=OPERATOR, source_id=first, target_id=target)
    expected = "into itself" if into == "itself" else f"merged into case {third}: merge into that one"
    assert expected in refused.value.message
    assert _counts(engine) == before
    assert _case(engine, first).state == "new"


def test_overlapping_working_hours_are_refused_and_write_nothing(engine: Engine) -> None:
    before = _counts(engine)
    with transaction(engine) as session, pytest.raises(OverlappingHours) as refused:
        teams.save_team(
            session,
            actor=OPERATOR,
            code="night",
            name="Ночная смена",
            timezone="Asia/Yekaterinburg",
            hours={"mon": ["09:00-18:00", "13:00-14:00"]},
        )
    assert refused.value.message == "working hours on mon overlap: 09:00–18:00 and 13:00–14:00"
    assert _counts(engine) == before


def test_a_wrap_up_code_from_another_queue_is_refused_and_writes_nothing(
    engine: Engine, player_id: int
) -> None:
    before = _counts(engine)
    with (
        clock.frozen(WEDNESDAY_10),
        transaction(engine) as session,
        pytest.raises(ContactCentreError) as refused,
    ):
        interactions.log_interaction(
            session,
            actor=OPERATOR,
            player_id=player_id,
            channel="call",
            direction="inbound",
            queue="responsible_gaming",
            operator="operator",
            started_at=WEDNESDAY_10,
            wrap_code="app_payment",
        )
    assert refused.value.message == "wrap-up code 'app_payment' is not offered in queue 'responsible_gaming'"
    assert _counts(engine) == before


def test_the_bulk_recompute_after_new_hours_gives_the_due_times_a_case_by_case_refresh_gives(
    engine: Engine, player_id: int
) -> None:
    from lottocrm.contact_centre.sla import bulk
    from lottocrm.contact_centre.sla import service as sla

    ids = [_open(engine, player_id, WEDNESDAY_10 + dt.timedelta(hours=n)) for n in range(3)]
    with clock.frozen(moscow(2, 12, 30)), transaction(engine) as session:
        cases.change_state(session, actor=OPERATOR, case_id=ids[0], state="pending_close")
    for at, direction in ((moscow(2, 13, 30), "outbound"), (moscow(2, 13, 50), "inbound")):
        with clock.frozen(at), transaction(engine) as session:
            interactions.log_interaction(
                session,
                actor=OPERATOR,
                player_id=player_id,
                channel="email",
                direction=direction,
                queue="payouts",
                operator="operator",
                started_at=at,
                case_id=ids[2],
            )
    with clock.frozen(moscow(2, 14)), transaction(engine) as session:
        cases.change_state(session, actor=OPERATOR, case_id=ids[0], state="open")
        teams.save_team(
            session,
            actor=OPERATOR,
            code="payouts",
            name="Отдел выплат",
            timezone="Europe/Moscow",
            hours={d: ["08:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
        )
    with clock.frozen(moscow(2, 14)), transaction(engine) as session:
        # The first responses were due within the new hours too; the three resolutions and the awaited
        # update move.
        assert bulk.recompute_all(session, actor=OPERATOR) == 4
    bulk_dues = [(_case(engine, i).first_response_due_at, _case(engine, i).resolution_due_at) for i in ids]
    with clock.frozen(moscow(2, 14)), transaction(engine) as session:
        for case_id in ids:
            sla.refresh(session, case=cases.get_case(session, case_id))
    assert bulk_dues == [
        (_case(engine, i).first_response_due_at, _case(engine, i).resolution_due_at) for i in ids
    ]
    # 40 business hours of 12 a day from Wednesday 11:00: 9 + 12 + 12 + 7, Saturday 15:00.
    assert bulk_dues[1] == (moscow(2, 12), moscow(5, 15))
