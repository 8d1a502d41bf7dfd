"""The jobs domain's own handlers (listed in ``jobs/wiring.py``): housekeeping of the queue itself."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from lottocrm.db.engine import transaction
from lottocrm.jobs.models import Job
from lottocrm.jobs.registry import JobContext
from lottocrm.jobs.service import utcnow

PRUNE_KIND = "jobs.prune"


def prune_finished_jobs(context: JobContext) -> None:
    """Delete jobs that finished successfully more than ``keep_days`` (default 30) ago; dead jobs stay."""
    keep_days = int(context.job.payload.get("keep_days", 30))
    cutoff = utcnow() - dt.timedelta(days=keep_days)
    with transaction(context.engine) as session:
        session.execute(delete(Job).where(Job.status == "done", Job.finished_at < cutoff))
