"""The periodic work: expire dead lots, void stale holds, requalify tiers — one member per transaction.

Small transactions keep each member's lock short, so the jobs can run beside live till traffic; a crash
mid-run loses nothing, and the next run picks up what is left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine, select

from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger import expiry
from lottocrm.loyalty.models import LoyaltyAccount
from lottocrm.loyalty.programme import catalogue, redemption, tiers

Progress = Callable[[int], None]


def run_expiry(engine: Engine, *, now: dt.datetime, on_step: Progress | None = None) -> int:
    """Expire every lot dead at ``now``; returns the points expired."""
    total = 0
    while True:
        with transaction(engine) as session:
            batch = expiry.accounts_with_expired_lots(session, now=now, limit=500)
        if not batch:
            return total
        for account_id in batch:
            with transaction(engine) as session:
                total += expiry.expire_account(session, account_id=account_id, now=now)
            if on_step:
                on_step(1)


def run_stale_hold_voids(engine: Engine, *, now: dt.datetime, on_step: Progress | None = None) -> int:
    """Void every hold still open past its expiry, closing the reward order it held; returns how many."""
    voided = 0
    while True:
        with transaction(engine) as session:
            batch = redemption.stale_hold_ids(session, now=now, limit=500)
        if not batch:
            return voided
        for hold_id in batch:
            with transaction(engine) as session:
                if redemption.void_stale_hold(session, hold_id=hold_id, now=now):
                    catalogue.close_lapsed_order(session, hold_id=hold_id, now=now)
                    voided += 1
            if on_step:
                on_step(1)


def run_tier_requalification(engine: Engine, *, now: dt.datetime, on_step: Progress | None = None) -> int:
    """Recompute every member's tier over the last 12 months; returns how many members were checked."""
    with transaction(engine) as session:
        account_ids = (
            session.execute(
                select(LoyaltyAccount.id).where(LoyaltyAccount.kind == "member").order_by(LoyaltyAccount.id)
            )
            .scalars()
            .all()
        )
    for account_id in account_ids:
        with transaction(engine) as session:
            tiers.requalify(session, account_id=account_id, now=now)
        if on_step:
            on_step(1)
    return len(account_ids)
