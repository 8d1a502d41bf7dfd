"""Recompute the due times of every open case's running timers, team by team, in bulk: after a team's hours
or a policy changed (Zammad warns such a change costs a slow recalculation; here it is array work). Services
never commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.contact_centre.cases.models import DONE_TYPES, Case, CaseState, CaseStateChange
from lottocrm.contact_centre.errors import UnknownRecord
from lottocrm.contact_centre.sla.calendar import utc
from lottocrm.contact_centre.sla.calendars import calendar_for
from lottocrm.contact_centre.sla.models import SlaPolicy
from lottocrm.contact_centre.sla.recompute import NO_DUE, deadlines, pauses_from_rows
from lottocrm.contact_centre.sla.service import CHECK_JOB, SLA_QUEUE
from lottocrm.contact_centre.teams.models import Team
from lottocrm.jobs import service as jobs

# (its due column, the column it runs from, the column that says it was met, the policy's target column)
TIMERS = (
    (Case.first_response_due_at, Case.created_at, Case.first_response_at, SlaPolicy.first_response_minutes),
    (Case.update_due_at, Case.awaiting_since, Case.answered_at, SlaPolicy.update_minutes),
    (Case.resolution_due_at, Case.created_at, Case.solved_at, SlaPolicy.resolution_minutes),
)


def _due(value: int) -> dt.datetime | None:
    return None if value == NO_DUE else utc(value)


def _history(session: Session, open_cases: Select[Any]) -> list[Any]:
    return list(
        session.execute(
            select(CaseStateChange.case_id, CaseStateChange.at, CaseStateChange.to_state)
            .where(CaseStateChange.case_id.in_(open_cases))
            .order_by(CaseStateChange.case_id, CaseStateChange.at, CaseStateChange.id)
        )
    )


def recompute_team(session: Session, *, team: Team) -> int:
    """Store fresh due times on the team's open cases, and their next due time and jobs where one moved;
    returns how many due times changed."""
    open_states = select(CaseState.code).where(CaseState.state_type.not_in(DONE_TYPES))
    open_cases = select(Case.id).where(Case.team_id == team.id, Case.state.in_(open_states))
    pausing = set(session.scalars(select(CaseState.code).where(CaseState.pauses_sla.is_(True))))
    history = _history(session, open_cases)
    history_ids = np.array([row[0] for row in history], dtype=np.int64)
    changed: set[int] = set()
    count = 0
    for due_column, start_column, met_column, minutes_column in TIMERS:
        rows = session.execute(
            select(Case.id, start_column, due_column, minutes_column)
            .join(SlaPolicy, (SlaPolicy.case_type == Case.case_type) & (SlaPolicy.priority == Case.priority))
            .where(Case.id.in_(open_cases), met_column.is_(None), start_column.is_not(None))
            .where(minutes_column.is_not(None))
            .order_by(Case.id)
        ).all()
        if not rows:
            continue
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        start = np.array([int(row[1].timestamp()) for row in rows], dtype=np.int64)
        target = np.array([row[3] * 60 for row in rows], dtype=np.int64)
        mine = np.isin(history_ids, ids)
        known = [row for row, keep in zip(history, mine, strict=True) if keep]
        case_index = np.searchsorted(ids, history_ids[mine])
        moment = np.array([int(row[1].timestamp()) for row in known], dtype=np.int64)
        paused = np.array([row[2] in pausing for row in known], dtype=bool)
        calendar = calendar_for(team, since=min(row[1] for row in rows))
        due = deadlines(calendar, start, target, pauses_from_rows(case_index, moment, paused))
        updates = [
            {"case_id": int(case_id), "due": _due(int(value))}
            for case_id, value, row in zip(ids, due, rows, strict=True)
            if _due(int(value)) != row[2]
        ]
        if updates:
            session.connection().execute(
                update(Case.__table__)
                .where(Case.__table__.c.id == bindparam("case_id"))
                .values({due_column.key: bindparam("due")}),
                updates,
            )
        count += len(updates)
        changed.update(row["case_id"] for row in updates)
    _reschedule(session, sorted(changed))
    return count


def _reschedule(session: Session, case_ids: list[int]) -> None:
    """The next due time of each case whose due times moved, and a warning and a breach job per running
    timer (the same dedupe keys as ``service.schedule``, so a timer is never scheduled twice)."""
    for chunk in (case_ids[i : i + 10_000] for i in range(0, len(case_ids), 10_000)):
        rows = session.execute(
            select(
                Case.id,
                Case.first_response_at,
                Case.first_response_due_at,
                Case.first_response_breached,
                Case.update_due_at,
                Case.update_breached,
                Case.resolution_due_at,
                Case.resolution_breached,
                SlaPolicy.warn_minutes,
            )
            .join(SlaPolicy, SlaPolicy.id == Case.sla_policy_id)
            .where(Case.id.in_(chunk))
        ).all()
        nexts, payloads, keys, run_ats = [], [], [], []
        for case_id, responded, first, first_late, upd, upd_late, resolution, res_late, warn in rows:
            running = {
                "first_response": None if responded is not None or first_late else first,
                "update": None if upd_late else upd,
                "resolution": None if res_late else resolution,
            }
            dues = [due for due in running.values() if due is not None]
            nexts.append({"case_id": case_id, "next": min(dues) if dues else None})
            for timer, due in running.items():
                if due is None:
                    continue
                seconds = int(due.timestamp())
                for kind, run_at in (("warning", due - dt.timedelta(minutes=warn)), ("breach", due)):
                    payloads.append({"case_id": case_id, "timer": timer, "due": seconds, "kind": kind})
                    keys.append(f"cc-sla:{case_id}:{timer}:{kind}:{seconds}")
                    run_ats.append(run_at)
        if nexts:
            session.connection().execute(
                update(Case.__table__)
                .where(Case.__table__.c.id == bindparam("case_id"))
                .values(next_due_at=bindparam("next")),
                nexts,
            )
        # One multi-row insert per run moment would need grouping; jobs run at their own moments, so
        # they are enqueued one by one here (a few per moved case).
        for payload, key, run_at in zip(payloads, keys, run_ats, strict=True):
            jobs.enqueue(
                session, kind=CHECK_JOB, payload=payload, run_at=run_at, queue=SLA_QUEUE, dedupe_key=key
            )


def recompute_all(session: Session, *, actor: Actor, team: str | None = None) -> int:
    """Every team's open cases (or one team's); one audit row for the lot."""
    query = select(Team).order_by(Team.id)
    if team is not None:
        query = query.where(Team.code == team)
    teams = list(session.scalars(query))
    if team is not None and not teams:
        raise UnknownRecord("no team %(code)r", code=team)
    changed = sum(recompute_team(session, team=row) for row in teams)
    record(
        session, actor=actor, action="contact_centre.sla.recompute", detail={"rows": changed, "team": team}
    )
    return changed
