"""The posting primitives every operation is built from: lock, post, and move points in and out of lots.

Locking rule: a member's account row is the lock for everything of that member — its balance, its lots and
its holds. Operations lock the member accounts they touch in ascending id order (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already serialises writers) before reading any of those rows, so two
operations on one member queue instead of both reading the same lots. System accounts are never locked: their
balances are derived from postings, and appending a posting needs no lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import BigInteger, bindparam, case, cast, func, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.loyalty.errors import InsufficientPoints, InvalidAmount
from lottocrm.loyalty.models import (
    LoyaltyAccount,
    LoyaltyLot,
    LoyaltyLotDraw,
    LoyaltyOperation,
    LoyaltyPosting,
)

# Points earned today are spendable for a year; a refund gives at least this long to use them again.
LOT_LIFETIME = dt.timedelta(days=365)
REFUND_MIN_LIFETIME = dt.timedelta(days=30)


# The statements every till call runs are built once with bound parameters (building a SQLAlchemy statement
# costs more CPU than PostgreSQL spends executing it) and run on the session's Connection: the ledger reads
# and writes plain rows, so the ORM execution layer (autoflush, bulk-DML plugins) is pure overhead here —
# about half the CPU of a till call when these went through ``Session.execute``.
_LOCK_MEMBER = (
    select(LoyaltyAccount.balance).where(LoyaltyAccount.id == bindparam("account_id")).with_for_update()
)
_INSERT_POSTING = insert(LoyaltyPosting.__table__)
_MOVE_BALANCES = (
    update(LoyaltyAccount)
    .where(
        LoyaltyAccount.id.in_((bindparam("debit"), bindparam("credit"))), LoyaltyAccount.balance.is_not(None)
    )
    .values(
        balance=LoyaltyAccount.balance
        + case((LoyaltyAccount.id == bindparam("credit"), bindparam("points")), else_=-bindparam("points"))
    )
)
_TAKE_FROM_LOT = (
    update(LoyaltyLot)
    .where(LoyaltyLot.id == bindparam("lot_id"))
    .values(remaining=LoyaltyLot.remaining - bindparam("take"))
)
_INSERT_DRAW = insert(LoyaltyLotDraw.__table__)
_INSERT_OPERATION = insert(LoyaltyOperation.__table__).returning(LoyaltyOperation.id)
_INSERT_LOT = insert(LoyaltyLot.__table__).returning(LoyaltyLot.id)
_LIVE_LOTS = (
    select(LoyaltyLot.id, LoyaltyLot.remaining)
    .where(
        LoyaltyLot.account_id == bindparam("account_id"),
        LoyaltyLot.remaining > 0,
        LoyaltyLot.expires_at > bindparam("now", type_=LoyaltyLot.expires_at.type),
    )
    .order_by(LoyaltyLot.expires_at, LoyaltyLot.id)
)


def lock_members(session: Session, account_ids: Iterable[int]) -> dict[int, int]:
    """Lock member accounts in ascending id order; returns each one's stored balance."""
    connection = session.connection()
    return {
        account_id: connection.execute(_LOCK_MEMBER, {"account_id": account_id}).scalar_one()
        for account_id in sorted(set(account_ids))
    }


def new_operation(session: Session, *, kind: str, now: dt.datetime, points: int, **fields: object) -> int:
    return (
        session.connection()
        .execute(_INSERT_OPERATION, {"kind": kind, "points": points, "created_at": now, **fields})
        .scalar_one()
    )


def post(
    session: Session, *, operation_id: int, debit: int, credit: int, points: int, now: dt.datetime
) -> None:
    """Append one posting and move the stored balances of whichever side is a member account."""
    if points <= 0:
        raise InvalidAmount(f"a posting moves a positive number of points, not {points}")
    connection = session.connection()
    connection.execute(
        _INSERT_POSTING,
        {
            "operation_id": operation_id,
            "debit_account_id": debit,
            "credit_account_id": credit,
            "points": points,
            "created_at": now,
        },
    )
    # Stored balances exist only on member rows (NULL elsewhere), so one UPDATE covers both sides. The
    # CHECK balance >= 0 backs up the callers' own sufficiency checks: a bug aborts instead of minting debt.
    connection.execute(_MOVE_BALANCES, {"debit": debit, "credit": credit, "points": points})


def add_lot(
    session: Session,
    *,
    account_id: int,
    operation_id: int,
    points: int,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> int:
    return (
        session.connection()
        .execute(
            _INSERT_LOT,
            {
                "account_id": account_id,
                "operation_id": operation_id,
                "points": points,
                "remaining": points,
                "expires_at": expires_at,
                "created_at": now,
            },
        )
        .scalar_one()
    )


def spendable(session: Session, *, account_id: int, now: dt.datetime) -> int:
    """Points a member can spend now: what is left in lots not yet expired (expired ones await the job)."""
    return session.execute(
        select(func.coalesce(cast(func.sum(LoyaltyLot.remaining), BigInteger), 0)).where(
            LoyaltyLot.account_id == account_id, LoyaltyLot.remaining > 0, LoyaltyLot.expires_at > now
        )
    ).scalar_one()


def draw_lots(
    session: Session,
    *,
    account_id: int,
    operation_id: int,
    points: int,
    now: dt.datetime,
    first_lot_id: int | None = None,
    partial: bool = False,
) -> int:
    """Take ``points`` from the member's live lots, soonest-expiring first; the account must be locked.

    ``first_lot_id`` is drained before the rest (an earn reversal takes back its own lot first). With
    ``partial`` the draw takes what there is instead of refusing; returns the points taken.
    """
    connection = session.connection()
    lots = connection.execute(_LIVE_LOTS, {"account_id": account_id, "now": now}).all()
    if first_lot_id is not None:
        lots.sort(key=lambda lot: lot.id != first_lot_id)
    available = sum(lot.remaining for lot in lots)
    if available < points and not partial:
        raise InsufficientPoints(f"{points} points asked, {available} available")
    wanted = min(points, available)
    taken = 0
    for lot in lots:
        if taken == wanted:
            break
        take = min(lot.remaining, wanted - taken)
        connection.execute(_TAKE_FROM_LOT, {"lot_id": lot.id, "take": take})
        connection.execute(_INSERT_DRAW, {"operation_id": operation_id, "lot_id": lot.id, "points": take})
        taken += take
    return taken


def return_to_lots(session: Session, *, from_operation_id: int, operation_id: int, points: int) -> None:
    """Give back part of what ``from_operation_id`` drew, latest-expiring lots first.

    Used when a hold is voided or captured for less: the points return to the very lots they came from, so
    they keep their original expiry (a lot that expired meanwhile is then expired by the next expiry run).
    """
    connection = session.connection()
    draws = connection.execute(
        select(LoyaltyLotDraw.lot_id, func.sum(LoyaltyLotDraw.points).label("points"))
        .join(LoyaltyLot, LoyaltyLot.id == LoyaltyLotDraw.lot_id)
        .where(LoyaltyLotDraw.operation_id == from_operation_id)
        .group_by(LoyaltyLotDraw.lot_id, LoyaltyLot.expires_at)
        .order_by(LoyaltyLot.expires_at.desc(), LoyaltyLotDraw.lot_id.desc())
    ).all()
    left = points
    for draw in draws:
        if left == 0:
            break
        give = min(draw.points, left)
        connection.execute(_TAKE_FROM_LOT, {"lot_id": draw.lot_id, "take": -give})
        connection.execute(
            _INSERT_DRAW, {"operation_id": operation_id, "lot_id": draw.lot_id, "points": -give}
        )
        left -= give
    if left:
        raise AssertionError(
            f"operation {from_operation_id} drew {points - left} points, cannot return {points}"
        )


def latest_expiry_drawn(session: Session, *, operation_id: int) -> dt.datetime | None:
    return session.execute(
        select(func.max(LoyaltyLot.expires_at))
        .join(LoyaltyLotDraw, LoyaltyLotDraw.lot_id == LoyaltyLot.id)
        .where(LoyaltyLotDraw.operation_id == operation_id)
    ).scalar_one()
