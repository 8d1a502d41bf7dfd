"""Expire lots past their date: the remaining points go to breakage (member → breakage), member by member."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.loyalty.ledger import postings
from lottocrm.loyalty.ledger.accounts import programme_account
from lottocrm.loyalty.models import LoyaltyLot, LoyaltyLotDraw


def accounts_with_expired_lots(session: Session, *, now: dt.datetime, limit: int = 1000) -> list[int]:
    return list(
        session.execute(
            select(LoyaltyLot.account_id)
            .where(LoyaltyLot.expires_at <= now, LoyaltyLot.remaining > 0)
            .group_by(LoyaltyLot.account_id)
            .order_by(func.min(LoyaltyLot.expires_at))
            .limit(limit)
        ).scalars()
    )


def expire_account(session: Session, *, account_id: int, now: dt.datetime) -> int:
    """Post the expiry of one member's dead lots; returns the points expired (0: none left)."""
    postings.lock_members(session, [account_id])
    lots = session.execute(
        select(LoyaltyLot.id, LoyaltyLot.remaining)
        .where(LoyaltyLot.account_id == account_id, LoyaltyLot.expires_at <= now, LoyaltyLot.remaining > 0)
        .order_by(LoyaltyLot.id)
    ).all()
    total = sum(lot.remaining for lot in lots)
    if total == 0:
        return 0
    operation_id = postings.new_operation(
        session, kind="expire", now=now, points=total, account_id=account_id
    )
    for lot in lots:
        session.execute(update(LoyaltyLot).where(LoyaltyLot.id == lot.id).values(remaining=0))
        session.execute(
            insert(LoyaltyLotDraw).values(operation_id=operation_id, lot_id=lot.id, points=lot.remaining)
        )
    postings.post(
        session,
        operation_id=operation_id,
        debit=account_id,
        credit=programme_account(session, "breakage"),
        points=total,
        now=now,
    )
    return total
