"""Apply a case's SLA: compute its timers, store due times and breaches on the case, and put the warning and
the breach of each running timer on the job queue. Services never commit.

A warning or breach job carries the due time it was scheduled for. A later change (a reply, a pause, a new
priority) stores new due times and schedules new jobs; the old job then finds its due time gone and does
nothing — cheaper and safer than finding and cancelling queued jobs (a cancelled job whose case changes back
would never fire).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.contact_centre.cases.models import Case, CaseState, CaseStateChange
from lottocrm.contact_centre.errors import ContactCentreError
from lottocrm.contact_centre.events import SlaBreached, SlaWarning
from lottocrm.contact_centre.sla.calendar import OutOfCalendar, epoch, utc
from lottocrm.contact_centre.sla.calendars import calendar_for
from lottocrm.contact_centre.sla.models import SlaPolicy
from lottocrm.contact_centre.sla.timers import (
    CaseFacts,
    SlaState,
    Targets,
    Timer,
    evaluate,
    pauses_from_history,
)
from lottocrm.contact_centre.teams.models import Team
from lottocrm.events.outbox import emit
from lottocrm.jobs import service as jobs

TIMERS = ("first_response", "update", "resolution")
CHECK_JOB = "contact_centre.sla_check"
RECOMPUTE_JOB = "contact_centre.sla_recompute"
# SLA jobs run on their own queue, so a warning is not late behind a long analytics job.
SLA_QUEUE = "contact_centre"


def pausing_states(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(CaseState.code).where(CaseState.pauses_sla.is_(True))))


def policy_for(session: Session, case: Case) -> SlaPolicy | None:
    return session.scalar(
        select(SlaPolicy).where(SlaPolicy.case_type == case.case_type, SlaPolicy.priority == case.priority)
    )


def targets_of(policy: SlaPolicy) -> Targets:
    def seconds(minutes: int | None) -> int | None:
        return None if minutes is None else minutes * 60

    return Targets(
        first_response=seconds(policy.first_response_minutes),
        update=seconds(policy.update_minutes),
        resolution=seconds(policy.resolution_minutes),
    )


def _moment(value: dt.datetime | None) -> int | None:
    return None if value is None else epoch(value)


def facts_of(session: Session, case: Case, pausing: frozenset[str]) -> CaseFacts:
    changes = session.execute(
        select(CaseStateChange.at, CaseStateChange.to_state)
        .where(CaseStateChange.case_id == case.id)
        .order_by(CaseStateChange.at, CaseStateChange.id)
    )
    return CaseFacts(
        created=epoch(case.created_at),
        first_response=_moment(case.first_response_at),
        awaiting_since=_moment(case.awaiting_since),
        answered=_moment(case.answered_at),
        solved=_moment(case.solved_at),
        pauses=pauses_from_history(((epoch(at), state) for at, state in changes), pausing),
    )


def _due(timer: Timer | None) -> dt.datetime | None:
    return None if timer is None or timer.due is None else utc(timer.due)


def _minutes(timer: Timer | None) -> int | None:
    return None if timer is None or timer.elapsed is None else timer.elapsed // 60


def compute(session: Session, case: Case, *, now: dt.datetime | None = None) -> SlaState | None:
    """The case's timers now, or None when no policy covers its type and priority."""
    policy = policy_for(session, case)
    if policy is None:
        return None
    return _evaluated(session, case, policy, now)


def _evaluated(session: Session, case: Case, policy: SlaPolicy, now: dt.datetime | None) -> SlaState:
    team = session.get(Team, case.team_id)
    assert team is not None
    calendar = calendar_for(team, since=case.created_at)
    facts = facts_of(session, case, pausing_states(session))
    try:
        return evaluate(calendar, facts, targets_of(policy), now=epoch(now or clock.now()))
    except OutOfCalendar as error:
        raise ContactCentreError(
            "the SLA deadline of case %(case_id)s lies more than five years ahead: "
            "check the team's working hours",
            case_id=case.id,
        ) from error


def refresh(session: Session, *, case: Case, now: dt.datetime | None = None) -> SlaState | None:
    """Recompute the case's timers, store them on it and schedule their warnings and breaches."""
    policy = policy_for(session, case)
    case.sla_policy_id = policy.id if policy else None
    if policy is None:
        case.first_response_due_at = case.update_due_at = case.resolution_due_at = case.next_due_at = None
        return None
    state = _evaluated(session, case, policy, now)
    case.first_response_due_at = _due(state.first_response)
    # The update timer restarts with each exchange: once answered, nothing is due until the player writes.
    case.update_due_at = None if state.update is None or state.update.met is not None else _due(state.update)
    case.resolution_due_at = _due(state.resolution)
    case.next_due_at = None if state.next_due is None else utc(state.next_due)
    # A breach stays on the record: a timer met late is flagged here, a running one by its breach job (which
    # also escalates), so the flag means "noticed" and a re-run finds it set.
    for name in TIMERS:
        timer: Timer | None = getattr(state, name)
        if timer is not None and timer.met is not None and timer.breached:
            setattr(case, f"{name}_breached", True)
    case.first_response_minutes = _minutes(state.first_response)
    case.resolution_minutes = _minutes(state.resolution)
    schedule(session, case=case, state=state, warn_minutes=policy.warn_minutes)
    return state


def schedule(session: Session, *, case: Case, state: SlaState, warn_minutes: int) -> None:
    for name in TIMERS:
        timer: Timer | None = getattr(state, name)
        if timer is None or timer.met is not None or timer.due is None or getattr(case, f"{name}_breached"):
            continue
        for kind, run_at in (("warning", timer.due - warn_minutes * 60), ("breach", timer.due)):
            jobs.enqueue(
                session,
                kind=CHECK_JOB,
                payload={"case_id": case.id, "timer": name, "due": timer.due, "kind": kind},
                run_at=utc(run_at),
                queue=SLA_QUEUE,
                dedupe_key=f"cc-sla:{case.id}:{name}:{kind}:{timer.due}",
            )


def check_due(session: Session, *, actor: Actor, case_id: int, timer: str, due: int, kind: str) -> bool:
    """A warning or breach job's work: if the timer is still running towards ``due``, warn, or flag the
    breach and escalate. Returns whether it acted (False: the case moved on since it was scheduled)."""
    case = session.get(Case, case_id)
    if case is None or timer not in TIMERS:
        return False
    state = compute(session, case)
    current: Timer | None = getattr(state, timer) if state else None
    if current is None or current.met is not None or current.due != due:
        return False
    now = clock.now()
    due_at = utc(due).isoformat()
    detail = {"case_id": case.id, "timer": timer, "due_at": due_at}
    if kind == "warning":
        record(
            session, actor=actor, action="contact_centre.sla.warning", player_id=case.player_id, detail=detail
        )
        emit(session, SlaWarning(case_id=case.id, player_id=case.player_id, timer=timer, due_at=due_at))
        return True
    if epoch(now) < due or getattr(case, f"{timer}_breached"):
        return False
    setattr(case, f"{timer}_breached", True)
    case.escalated_at = case.escalated_at or now
    record(session, actor=actor, action="contact_centre.sla.breach", player_id=case.player_id, detail=detail)
    emit(session, SlaBreached(case_id=case.id, player_id=case.player_id, timer=timer, due_at=due_at))
    return True
