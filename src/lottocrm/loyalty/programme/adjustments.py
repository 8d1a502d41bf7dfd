"""Manual adjustments by staff: signed by who and why, posted like any other movement, and written to the
audit log in the same transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.loyalty.errors import InvalidAmount
from lottocrm.loyalty.ledger import lots, postings
from lottocrm.loyalty.ledger.accounts import balance_of, player_id_of, programme_account
from lottocrm.loyalty.programme.earning import EarnResult, credit_points


def adjust(
    session: Session, *, account_id: int, points: int, actor: Actor, reason: str, now: dt.datetime
) -> EarnResult:
    """Add (positive) or remove (negative) points; removal takes soonest-expiring lots, never below 0."""
    if points == 0:
        raise InvalidAmount("an adjustment of 0 points changes nothing")
    if not reason.strip():
        raise InvalidAmount("an adjustment needs who made it and why")
    postings.lock_members(session, [account_id])
    expense = programme_account(session, "expense")
    if points > 0:
        operation_id = credit_points(
            session,
            account_id=account_id,
            funding_account_id=expense,
            points=points,
            kind="adjust",
            now=now,
            actor=actor.name,
            reason=reason,
        )
    else:
        operation_id = postings.new_operation(
            session,
            kind="adjust",
            now=now,
            points=points,
            account_id=account_id,
            actor=actor.name,
            reason=reason,
        )
        lots.draw_lots(session, account_id=account_id, operation_id=operation_id, points=-points, now=now)
        postings.post(
            session, operation_id=operation_id, debit=account_id, credit=expense, points=-points, now=now
        )
    record(
        session,
        actor=actor,
        action="loyalty.adjust",
        player_id=player_id_of(session, account_id),
        detail={"account_id": account_id, "points": points, "reason": reason, "operation_id": operation_id},
    )
    return EarnResult(operation_id=operation_id, points=points, balance=balance_of(session, account_id))
