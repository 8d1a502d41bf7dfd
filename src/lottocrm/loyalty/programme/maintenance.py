"""The periodic work: expire dead lots, void stale holds, requalify tiers — one member per transaction.

Small transactions keep each member's lock short, so the jobs can run beside live till traffic; a crash
mid-run loses nothing, and the next run picks up what is left.

A run that changed something ends with one audit row saying who ran it (``cli:…`` or ``job:…``) and what it
did; the ledger operations it wrote carry the detail. A run that found nothing to do records nothing, so the
stale-holds job every few minutes does not bury the log. A run cut short records nothing either: its ledger
operations stand, and the next run's row counts what it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine, select

from lottocrm.audit.service import Actor, record
from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger import expiry
from lottocrm.loyalty.models import LoyaltyAccount
from lottocrm.loyalty.programme import catalogue, redemption, tiers

Progress = Callable[[int], None]


def record_run(engine: Engine, *, actor: Actor, action: str, detail: dict[str, object]) -> None:
    """The audit row of a run that changed something, in a transaction of its own (the run's are done)."""
    with transaction(engine) as session:
        record(session, actor=actor, action=action, detail=detail)


def run_expiry(engine: Engine, *, now: dt.datetime, actor: Actor, on_step: Progress | None = None) -> int:
    """Expire every lot dead at ``now``; returns the points expired."""
    total = members = 0
    while True:
        with transaction(engine) as session:
            batch = expiry.accounts_with_expired_lots(session, now=now, limit=500)
        if not batch:
            break
        for account_id in batch:
            with transaction(engine) as session:
                expired = expiry.expire_account(session, account_id=account_id, now=now)
            total += expired
            members += expired > 0
            if on_step:
                on_step(1)
    if total:
        detail = {"as_of": now.isoformat(), "points": total, "members": members}
        record_run(engine, actor=actor, action="loyalty.lots_expired", detail=detail)
    return total


def run_stale_hold_voids(
    engine: Engine, *, now: dt.datetime, actor: Actor, on_step: Progress | None = None
) -> int:
    """Void every hold still open past its expiry, closing the reward order it held; returns how many."""
    voided = orders = 0
    while True:
        with transaction(engine) as session:
            batch = redemption.stale_hold_ids(session, now=now, limit=500)
        if not batch:
            break
        for hold_id in batch:
            with transaction(engine) as session:
                if redemption.void_stale_hold(session, hold_id=hold_id, now=now):
                    orders += catalogue.close_lapsed_order(session, hold_id=hold_id, now=now)
                    voided += 1
            if on_step:
                on_step(1)
    if voided:
        detail = {"as_of": now.isoformat(), "holds": voided, "orders_lapsed": orders}
        record_run(engine, actor=actor, action="loyalty.stale_holds_voided", detail=detail)
    return voided


def run_tier_requalification(
    engine: Engine, *, now: dt.datetime, actor: Actor, on_step: Progress | None = None
) -> int:
    """Recompute every member's tier over the last 12 months; returns how many members were checked."""
    with transaction(engine) as session:
        account_ids = (
            session.execute(
                select(LoyaltyAccount.id).where(LoyaltyAccount.kind == "member").order_by(LoyaltyAccount.id)
            )
            .scalars()
            .all()
        )
    changed = 0
    for account_id in account_ids:
        with transaction(engine) as session:
            changed += tiers.requalify(session, account_id=account_id, now=now) is not None
        if on_step:
            on_step(1)
    if changed:
        detail = {"as_of": now.isoformat(), "members": len(account_ids), "changed": changed}
        record_run(engine, actor=actor, action="loyalty.tiers_requalified", detail=detail)
    return len(account_ids)
