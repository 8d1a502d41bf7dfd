"""Enqueue, claim, heartbeat, finish and retry jobs. Every function works inside the caller's transaction.

Delivery is at least once: a job whose worker dies is run again once its lease expires, so handlers must be
idempotent. A lease is fenced by the attempt number: ``claim`` bumps ``attempts``, and a worker may only
heartbeat, finish or fail the job while ``attempts`` still equals the attempt it claimed. A worker that lost
its lease (it stalled, another worker took the job over) therefore cannot overwrite the newer attempt.
"""

from __future__ import annotations

import datetime as dt
import random
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.db.conflicts import insert_ignoring_conflicts
from lottocrm.jobs.models import Job

DEFAULT_MAX_ATTEMPTS = 5
MAX_ERROR_CHARS = 8_000


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class ClaimedJob:
    """What a handler sees: a detached copy of the job as claimed, plus the attempt that fences its lease."""

    id: int
    kind: str
    queue: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    run_at: dt.datetime


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: attempt n waits between half and all of ``base * 2**(n-1)``, capped.

    The jitter spreads retries of jobs that failed together (an SMS gateway outage) so they do not return
    as one burst.
    """

    base: dt.timedelta = dt.timedelta(seconds=10)
    cap: dt.timedelta = dt.timedelta(hours=1)

    def delay(self, attempt: int, rng: random.Random | None = None) -> dt.timedelta:
        ceiling = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        return ceiling * (rng or random).uniform(0.5, 1.0)


DEFAULT_BACKOFF = Backoff()


def enqueue(
    session: Session | Connection,
    *,
    kind: str,
    payload: dict[str, Any] | None = None,
    run_at: dt.datetime | None = None,
    priority: int = 0,
    queue: str = "default",
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    dedupe_key: str | None = None,
) -> int | None:
    """Add a job in the caller's transaction; it exists only if that transaction commits.

    Returns the new job's id, or None when a job with ``dedupe_key`` already exists (then nothing changes).
    """
    row = _job_row(kind, payload, run_at, priority, queue, max_attempts, dedupe_key)
    return session.execute(_insert_new(session).values(row).returning(Job.id)).scalar_one_or_none()


def enqueue_many(
    session: Session,
    *,
    kind: str,
    payloads: Sequence[dict[str, Any]],
    dedupe_keys: Sequence[str | None] | None = None,
    run_at: dt.datetime | None = None,
    priority: int = 0,
    queue: str = "default",
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int:
    """Add one job per payload in a single multi-row INSERT (a campaign's sends); returns how many are new."""
    keys = dedupe_keys if dedupe_keys is not None else [None] * len(payloads)
    if len(keys) != len(payloads):
        raise ValueError(f"{len(payloads)} payloads but {len(keys)} dedupe keys")
    if not payloads:
        return 0
    rows = [
        _job_row(kind, payload, run_at, priority, queue, max_attempts, key)
        for payload, key in zip(payloads, keys, strict=True)
    ]
    return len(session.execute(_insert_new(session).returning(Job.id), rows).all())


def _job_row(
    kind: str,
    payload: dict[str, Any] | None,
    run_at: dt.datetime | None,
    priority: int,
    queue: str,
    max_attempts: int,
    dedupe_key: str | None,
) -> dict[str, Any]:
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    now = utcnow()
    return {
        "queue": queue,
        "kind": kind,
        "payload": payload or {},
        "status": "queued",
        "priority": priority,
        "run_at": run_at or now,
        "attempts": 0,
        "max_attempts": max_attempts,
        "dedupe_key": dedupe_key,
        "created_at": now,
    }


def _insert_new(session: Session | Connection) -> Any:
    return insert_ignoring_conflicts(session, Job, ["dedupe_key"])


def _claimable(now: dt.datetime) -> Any:
    waiting = and_(Job.status == "queued", Job.run_at <= now)
    abandoned = and_(Job.status == "running", Job.locked_until < now)
    return or_(waiting, abandoned)


def _is_postgresql(session: Session | Connection) -> bool:
    # Imports emit their events on the Connection that writes their ledger row; services on a Session.
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name == "postgresql"


def _skip_locked(query: Select[Any], session: Session) -> Select[Any]:
    return query.with_for_update(skip_locked=True) if _is_postgresql(session) else query


def _bury_exhausted_abandoned(session: Session, now: dt.datetime) -> None:
    """A job whose worker died on its last allowed attempt is dead, not retried forever (a poison job)."""
    exhausted = select(Job.id).where(
        Job.status == "running", Job.locked_until < now, Job.attempts >= Job.max_attempts
    )
    ids = list(session.scalars(_skip_locked(exhausted, session)))
    if not ids:
        return
    session.execute(
        update(Job)
        .where(Job.id.in_(ids))
        .values(
            status="dead",
            locked_until=None,
            finished_at=now,
            last_error="the worker running the last attempt stopped without finishing it (lease expired)",
        )
    )


def claim(
    session: Session,
    *,
    worker: str,
    kinds: Sequence[str],
    queues: Sequence[str] | None = None,
    limit: int = 1,
    lease: dt.timedelta = dt.timedelta(seconds=60),
    now: dt.datetime | None = None,
) -> list[ClaimedJob]:
    """Lease up to ``limit`` due jobs of the given kinds, highest priority and oldest first.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets concurrent workers take disjoint rows without waiting.
    SQLite: every transaction starts with ``BEGIN IMMEDIATE``, so claims are serialised by the write lock.
    """
    now = now or utcnow()
    _bury_exhausted_abandoned(session, now)
    query: Select[tuple[Job]] = select(Job).where(_claimable(now), Job.kind.in_(list(kinds)))
    if queues:
        query = query.where(Job.queue.in_(list(queues)))
    query = query.order_by(Job.priority.desc(), Job.run_at, Job.id).limit(limit)
    claimed = []
    for job in session.scalars(_skip_locked(query, session)):
        job.status = "running"
        job.attempts += 1
        job.locked_by = worker
        job.locked_until = now + lease
        job.started_at = now
        claimed.append(_detached(job))
    session.flush()
    return claimed


def _detached(job: Job) -> ClaimedJob:
    return ClaimedJob(
        id=job.id,
        kind=job.kind,
        queue=job.queue,
        payload=dict(job.payload),
        attempt=job.attempts,
        max_attempts=job.max_attempts,
        run_at=job.run_at,
    )


def _leased(job_id: int, attempt: int) -> Any:
    return and_(Job.id == job_id, Job.attempts == attempt, Job.status == "running")


def heartbeat(
    session: Session,
    *,
    leases: Sequence[tuple[int, int]],
    lease: dt.timedelta,
    now: dt.datetime | None = None,
) -> list[int]:
    """Extend the leases of (job id, attempt) pairs still held; returns the ids whose lease was lost."""
    until = (now or utcnow()) + lease
    lost = []
    for job_id, attempt in leases:
        result = session.execute(update(Job).where(_leased(job_id, attempt)).values(locked_until=until))
        if result.rowcount == 0:
            lost.append(job_id)
    return lost


def complete(session: Session, *, job: ClaimedJob, now: dt.datetime | None = None) -> bool:
    """Mark a claimed job done; False if the lease was lost meanwhile (another attempt owns the job now)."""
    result = session.execute(
        update(Job)
        .where(_leased(job.id, job.attempt))
        .values(status="done", locked_until=None, finished_at=now or utcnow(), last_error=None)
    )
    return result.rowcount == 1


def format_error(error: BaseException) -> str:
    text = "".join(traceback.format_exception(error))
    return text if len(text) <= MAX_ERROR_CHARS else "…" + text[-MAX_ERROR_CHARS:]


def fail(
    session: Session,
    *,
    job: ClaimedJob,
    error: str,
    backoff: Backoff = DEFAULT_BACKOFF,
    now: dt.datetime | None = None,
    rng: random.Random | None = None,
) -> str | None:
    """Record a failed attempt: back to ``queued`` after a backoff, or ``dead`` after the last attempt.

    Returns the job's new status, or None if the lease was lost meanwhile.
    """
    now = now or utcnow()
    if job.attempt >= job.max_attempts:
        values: dict[str, Any] = {"status": "dead", "finished_at": now}
    else:
        values = {"status": "queued", "run_at": now + backoff.delay(job.attempt, rng)}
    values.update(locked_until=None, last_error=error)
    result = session.execute(update(Job).where(_leased(job.id, job.attempt)).values(values))
    return values["status"] if result.rowcount == 1 else None


def retry(
    session: Session, *, actor: Actor, job_ids: Sequence[int], now: dt.datetime | None = None
) -> list[int]:
    """Give dead jobs fresh attempts, due now; returns the ids that were dead and are queued again."""
    now = now or utcnow()
    dead = list(session.scalars(select(Job.id).where(Job.id.in_(list(job_ids)), Job.status == "dead")))
    if dead:
        session.execute(
            update(Job)
            .where(Job.id.in_(dead))
            .values(status="queued", attempts=0, run_at=now, finished_at=None, locked_by=None)
        )
        record(session, actor=actor, action="jobs.retry", detail={"job_ids": dead})
    return dead


def list_jobs(
    session: Session, *, status: str | None = None, kind: str | None = None, limit: int = 50
) -> list[Job]:
    """The most recent jobs first, for operators."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if status:
        query = query.where(Job.status == status)
    if kind:
        query = query.where(Job.kind == kind)
    return list(session.scalars(query))


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: count for status, count in rows}
