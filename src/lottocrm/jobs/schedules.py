"""Cron schedules: define them, and a scheduler tick that turns each due fire into exactly one job.

Every worker runs the tick, so there is no scheduler process to keep alive. Two ticks racing for one fire
are kept apart twice: the schedule row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock
on SQLite) and moved to its next fire in the same transaction, and the job's dedupe key is the pair
(schedule, fire time), which the ``jobs.dedupe_key`` unique constraint admits only once.

Missed fires after downtime are coalesced: when a tick finds a schedule several fires behind, it enqueues
only the latest fire that is due and moves on to the next future one. A nightly report that missed three
nights runs once, for the latest night, not three times in a row; a handler that needs every period must
work out the gap itself from its own data.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.jobs import service
from lottocrm.jobs.models import JobSchedule

log = logging.getLogger(__name__)


class ScheduleError(ValueError):
    """A schedule definition we cannot use (bad cron expression, unknown time zone)."""


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r}") from None


def next_fire_after(cron: str, timezone: str, moment: dt.datetime) -> dt.datetime:
    """The first fire strictly after ``moment``, as UTC; cron fields are read in the schedule's zone."""
    local = moment.astimezone(_zone(timezone))
    return croniter(cron, local).get_next(dt.datetime).astimezone(dt.UTC)


def latest_fire_at_or_before(cron: str, timezone: str, moment: dt.datetime) -> dt.datetime:
    local = moment.astimezone(_zone(timezone))
    # get_prev is strictly before ``moment``; step forward once to include a fire exactly at ``moment``.
    previous = croniter(cron, local).get_prev(dt.datetime)
    following = croniter(cron, previous).get_next(dt.datetime)
    return (following if following <= local else previous).astimezone(dt.UTC)


def save_schedule(
    session: Session,
    *,
    actor: Actor,
    name: str,
    cron: str,
    kind: str,
    payload: dict[str, Any] | None = None,
    timezone: str = "UTC",
    queue: str = "default",
    priority: int = 0,
    max_attempts: int = service.DEFAULT_MAX_ATTEMPTS,
    enabled: bool = True,
    now: dt.datetime | None = None,
) -> JobSchedule:
    """Create the schedule ``name`` or redefine it; the next fire is counted from now."""
    if not croniter.is_valid(cron):
        raise ScheduleError(f"not a cron expression: {cron!r} (expected e.g. '0 3 * * *')")
    now = now or service.utcnow()
    schedule = session.scalar(select(JobSchedule).where(JobSchedule.name == name))
    if schedule is None:
        schedule = JobSchedule(name=name, created_at=now)
        session.add(schedule)
    schedule.cron = cron
    schedule.timezone = timezone
    schedule.kind = kind
    schedule.payload = payload or {}
    schedule.queue = queue
    schedule.priority = priority
    schedule.max_attempts = max_attempts
    schedule.enabled = enabled
    schedule.next_fire_at = next_fire_after(cron, timezone, now)
    session.flush()
    record(
        session,
        actor=actor,
        action="jobs.schedule.save",
        detail={"name": name, "cron": cron, "kind": kind, "timezone": timezone, "enabled": enabled},
    )
    return schedule


def delete_schedule(session: Session, *, actor: Actor, name: str) -> bool:
    schedule = session.scalar(select(JobSchedule).where(JobSchedule.name == name))
    if schedule is None:
        return False
    session.delete(schedule)
    session.flush()
    record(session, actor=actor, action="jobs.schedule.delete", detail={"name": name})
    return True


def fire_dedupe_key(schedule: JobSchedule, fire_at: dt.datetime) -> str:
    return f"schedule:{schedule.id}:{fire_at.astimezone(dt.UTC).isoformat()}"


def tick(session: Session, *, now: dt.datetime | None = None) -> int:
    """Enqueue one job for each schedule that is due; returns how many jobs were enqueued."""
    now = now or service.utcnow()
    due = (
        select(JobSchedule)
        .where(JobSchedule.enabled, JobSchedule.next_fire_at <= now)
        .order_by(JobSchedule.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    enqueued = 0
    for schedule in session.scalars(due):
        fire_at = latest_fire_at_or_before(schedule.cron, schedule.timezone, now)
        if fire_at > schedule.next_fire_at:
            log.warning(
                "schedule %s missed fires from %s; enqueueing only the latest, %s",
                schedule.name,
                schedule.next_fire_at.isoformat(),
                fire_at.isoformat(),
            )
        job_id = service.enqueue(
            session,
            kind=schedule.kind,
            payload=schedule.payload,
            run_at=fire_at,
            priority=schedule.priority,
            queue=schedule.queue,
            max_attempts=schedule.max_attempts,
            dedupe_key=fire_dedupe_key(schedule, fire_at),
        )
        enqueued += job_id is not None
        schedule.last_fire_at = fire_at
        schedule.next_fire_at = next_fire_after(schedule.cron, schedule.timezone, now)
    session.flush()
    return enqueued


def list_schedules(session: Session) -> list[JobSchedule]:
    return list(session.scalars(select(JobSchedule).order_by(JobSchedule.name)))
