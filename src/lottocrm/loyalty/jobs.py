"""Loyalty's handlers for the durable job worker; schedule them with ``lottocrm jobs schedule``.

Imported by the loyalty CLI, so ``lottocrm worker`` serves these kinds. Each handler is idempotent: running
it twice finds nothing left to do the second time.
"""

from __future__ import annotations

import datetime as dt

from lottocrm.jobs.registry import JobContext, registry
from lottocrm.loyalty.programme import maintenance

EXPIRE_LOTS = "loyalty.expire_lots"
VOID_STALE_HOLDS = "loyalty.void_stale_holds"
REQUALIFY_TIERS = "loyalty.requalify_tiers"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@registry.register(EXPIRE_LOTS)
def expire_lots(context: JobContext) -> None:
    maintenance.run_expiry(context.engine, now=_now())


@registry.register(VOID_STALE_HOLDS)
def void_stale_holds(context: JobContext) -> None:
    maintenance.run_stale_hold_voids(context.engine, now=_now())


@registry.register(REQUALIFY_TIERS)
def requalify_tiers(context: JobContext) -> None:
    maintenance.run_tier_requalification(context.engine, now=_now())
