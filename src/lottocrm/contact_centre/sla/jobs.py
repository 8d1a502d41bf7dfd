"""The SLA's durable jobs: a timer's warning and breach, each run once its moment comes."""

from __future__ import annotations

from lottocrm.audit.service import Actor
from lottocrm.contact_centre.sla.bulk import recompute_all
from lottocrm.contact_centre.sla.service import CHECK_JOB, RECOMPUTE_JOB, check_due
from lottocrm.db.engine import transaction
from lottocrm.jobs.registry import JobContext


def check(context: JobContext) -> None:
    """A re-run after a crash finds a breach already flagged and does nothing; a warning may be given twice
    (at least once, as every job)."""
    payload = context.job.payload
    with transaction(context.engine) as session:
        check_due(
            session,
            actor=Actor.job(CHECK_JOB),
            case_id=int(payload["case_id"]),
            timer=str(payload["timer"]),
            due=int(payload["due"]),
            kind=str(payload["kind"]),
        )


def recompute(context: JobContext) -> None:
    """Fresh due times for a team's open cases (its hours changed), or every team's (a nightly check).
    Running it twice gives the same due times: the second run changes nothing."""
    team = context.job.payload.get("team")
    with transaction(context.engine) as session:
        recompute_all(session, actor=Actor.job(RECOMPUTE_JOB), team=str(team) if team else None)
