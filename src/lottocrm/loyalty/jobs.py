"""Loyalty's handlers for the durable job worker, listed by kind in ``loyalty/wiring.py``; schedule them
with ``lottocrm jobs schedule``.

Each handler is idempotent: running it twice finds nothing left to do the second time. They act as
``job:<kind>``, which is what the audit log shows for the runs they make.
"""

from __future__ import annotations

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.jobs.registry import JobContext
from lottocrm.loyalty.programme import maintenance


def expire_lots(context: JobContext) -> None:
    maintenance.run_expiry(context.engine, now=clock.now(), actor=Actor.job(context.job.kind))


def void_stale_holds(context: JobContext) -> None:
    maintenance.run_stale_hold_voids(context.engine, now=clock.now(), actor=Actor.job(context.job.kind))


def requalify_tiers(context: JobContext) -> None:
    maintenance.run_tier_requalification(context.engine, now=clock.now(), actor=Actor.job(context.job.kind))
