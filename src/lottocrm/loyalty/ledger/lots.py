"""Lots: points earned together and expiring together, drawn soonest-expiring first.

The member's account must be locked (:func:`.postings.lock_members`) before its lots are read or changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, bindparam, cast, func, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.loyalty.errors import InsufficientPoints
from lottocrm.loyalty.ledger.statements import Pending, Statements, Target
from lottocrm.loyalty.models import LoyaltyLot, LoyaltyLotDraw

# Points earned today are spendable for a year; a refund gives at least this long to use them again.
LOT_LIFETIME = dt.timedelta(days=365)
REFUND_MIN_LIFETIME = dt.timedelta(days=30)

# Built once, like the posting statements (see :mod:`.postings`): the till runs them on every redemption.
_TAKE_FROM_LOT = (
    update(LoyaltyLot)
    .where(LoyaltyLot.id == bindparam("lot_id"))
    .values(remaining=LoyaltyLot.remaining - bindparam("take"))
)
# No RETURNING: nothing reads a draw's id, and a queued write need not wait for an answer.
_INSERT_DRAW = insert(LoyaltyLotDraw.__table__).inline()
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
_DRAWS_OF = (
    select(LoyaltyLotDraw.lot_id, func.sum(LoyaltyLotDraw.points).label("points"))
    .join(LoyaltyLot, LoyaltyLot.id == LoyaltyLotDraw.lot_id)
    .where(LoyaltyLotDraw.operation_id == bindparam("operation_id"))
    .group_by(LoyaltyLotDraw.lot_id, LoyaltyLot.expires_at)
    .order_by(LoyaltyLot.expires_at.desc(), LoyaltyLotDraw.lot_id.desc())
)
_LATEST_EXPIRY_DRAWN = (
    select(func.max(LoyaltyLot.expires_at))
    .join(LoyaltyLotDraw, LoyaltyLotDraw.lot_id == LoyaltyLot.id)
    .where(LoyaltyLotDraw.operation_id == bindparam("operation_id"))
)


def add_lot(
    target: Target,
    *,
    account_id: int,
    operation_id: int,
    points: int,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> int:
    lot = Statements.of(target).add(
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
    return lot.one()[0]


def spendable(session: Session, *, account_id: int, now: dt.datetime) -> int:
    """Points a member can spend now: what is left in lots not yet expired (expired ones await the job)."""
    return session.execute(
        select(func.coalesce(cast(func.sum(LoyaltyLot.remaining), BigInteger), 0)).where(
            LoyaltyLot.account_id == account_id, LoyaltyLot.remaining > 0, LoyaltyLot.expires_at > now
        )
    ).scalar_one()


def open_lots(session: Session, *, account_id: int) -> list[LoyaltyLot]:
    """The member's lots with points left, expired or not, soonest-expiring first (for people to read)."""
    return list(
        session.execute(
            select(LoyaltyLot)
            .where(LoyaltyLot.account_id == account_id, LoyaltyLot.remaining > 0)
            .order_by(LoyaltyLot.expires_at)
        ).scalars()
    )


def live_lots(target: Target, *, account_id: int, now: dt.datetime) -> Pending:
    """The member's lots with points left and not expired, soonest-expiring first (queued read)."""
    return Statements.of(target).add(_LIVE_LOTS, {"account_id": account_id, "now": now})


def plan_draw(
    lots: Sequence[Any], *, points: int, first_lot_id: int | None = None, partial: bool = False
) -> list[tuple[int, int]]:
    """(lot id, points) to take from ``lots`` (rows of :func:`live_lots`), soonest-expiring first.

    ``first_lot_id`` is drained before the rest (an earn reversal takes back its own lot first). Without
    ``partial`` a shortfall is refused; with it the plan takes what there is.
    """
    ordered = sorted(lots, key=lambda lot: lot.id != first_lot_id) if first_lot_id is not None else lots
    available = sum(lot.remaining for lot in ordered)
    if available < points and not partial:
        raise InsufficientPoints(f"{points} points asked, {available} available")
    wanted = min(points, available)
    plan = []
    for lot in ordered:
        if wanted == 0:
            break
        take = min(lot.remaining, wanted)
        plan.append((lot.id, take))
        wanted -= take
    return plan


def take_from_lots(target: Target, *, operation_id: int, plan: Sequence[tuple[int, int]]) -> None:
    """Apply a draw plan (negative points give back); the account must be locked."""
    sql = Statements.of(target)
    for lot_id, take in plan:
        sql.add(_TAKE_FROM_LOT, {"lot_id": lot_id, "take": take})
        sql.add(_INSERT_DRAW, {"operation_id": operation_id, "lot_id": lot_id, "points": take})


def draw_lots(
    target: Target,
    *,
    account_id: int,
    operation_id: int,
    points: int,
    now: dt.datetime,
    first_lot_id: int | None = None,
    partial: bool = False,
) -> int:
    """Take ``points`` from the member's live lots, soonest-expiring first; the account must be locked.

    See :func:`plan_draw` for ``first_lot_id`` and ``partial``; returns the points taken.
    """
    sql = Statements.of(target)
    lots = live_lots(sql, account_id=account_id, now=now).all()
    plan = plan_draw(lots, points=points, first_lot_id=first_lot_id, partial=partial)
    take_from_lots(sql, operation_id=operation_id, plan=plan)
    return sum(take for _lot_id, take in plan)


def return_to_lots(target: Target, *, from_operation_id: int, operation_id: int, points: int) -> None:
    """Give back part of what ``from_operation_id`` drew, latest-expiring lots first.

    Used when a hold is voided or captured for less: the points return to the very lots they came from, so
    they keep their original expiry (a lot that expired meanwhile is then expired by the next expiry run).
    """
    sql = Statements.of(target)
    draws = sql.add(_DRAWS_OF, {"operation_id": from_operation_id}).all()
    plan = []
    left = points
    for draw in draws:
        if left == 0:
            break
        give = min(draw.points, left)
        plan.append((draw.lot_id, -give))
        left -= give
    if left:
        raise AssertionError(
            f"operation {from_operation_id} drew {points - left} points, cannot return {points}"
        )
    take_from_lots(sql, operation_id=operation_id, plan=plan)


def latest_expiry_drawn(target: Target, *, operation_id: int) -> dt.datetime | None:
    return Statements.of(target).add(_LATEST_EXPIRY_DRAWN, {"operation_id": operation_id}).scalar()
