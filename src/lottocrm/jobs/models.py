"""The job queue and the cron schedules that feed it, both living in the operational store."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

# queued: waiting for run_at (also after a failed attempt, with run_at pushed back by the backoff);
# running: leased to a worker until locked_until; done and dead are final.
JOB_STATUSES = ("queued", "running", "done", "dead")


class Job(Base):
    """One unit of background work. ``attempts`` doubles as the lease's fencing token (see jobs.service)."""

    __tablename__ = "jobs"
    __table_args__ = (Index(None, "status", "run_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    queue: Mapped[str] = mapped_column(String(40), default="default")
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(choice("job_status", JOB_STATUSES), default="queued")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    # Enqueueing twice with one key yields one job: cron fires and idempotent producers rely on it.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class JobSchedule(Base):
    """A cron expression enqueueing a job of ``kind`` at each fire time, in the schedule's own time zone."""

    __tablename__ = "job_schedules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    cron: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    queue: Mapped[str] = mapped_column(String(40), default="default")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The scheduler only looks at schedules with next_fire_at <= now, so a tick costs one indexed query.
    next_fire_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    last_fire_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
