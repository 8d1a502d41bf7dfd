"""Two-phase redemption: authorize parks points on the holds account; capture, void or refund settle them.

Postings: authorize member→holds; capture holds→partner redeemed (and holds→member for any part not
captured); void holds→member; refund partner redeemed→member. A hold changes state only under its member's
account lock, and capture/void require status "authorized", so a hold is captured at most once. A capture
is announced (``loyalty.points_redeemed``) in the caller's transaction.

These rules have a second implementation, PostgreSQL's till functions (``loyalty.till.procedures``): change
both together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.events.outbox import emit, event_id_for
from lottocrm.loyalty.errors import (
    AmountAboveHold,
    HoldExpired,
    HoldNotFound,
    HoldNotOpen,
    InvalidAmount,
    RefundAboveCapture,
)
from lottocrm.loyalty.events import PointsRedeemed
from lottocrm.loyalty.ledger import lots, postings
from lottocrm.loyalty.ledger.accounts import partner_redeemed_account, programme_account
from lottocrm.loyalty.ledger.statements import Pending, Statements, Target
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold
from lottocrm.loyalty.programme.members import Member
from lottocrm.loyalty.programme.velocity import enforce, recent_calls

HOLD_LIFETIME = dt.timedelta(minutes=15)

# Built once: every authorize, capture and void runs these. Holds are read as plain rows, and each call's
# answer is computed from what it read and wrote, so no write has to wait for a RETURNING.
_HOLDS = LoyaltyHold.__table__
_INSERT_HOLD = insert(_HOLDS).returning(_HOLDS.c.id)
_HOLD = select(*_HOLDS.c).where(_HOLDS.c.id == bindparam("hold_id"))
_SET_HOLD = update(_HOLDS).where(_HOLDS.c.id == bindparam("hold_id"))
# The member behind a hold, locked and with its balance (and the player a capture is announced for), in one
# statement; the hold itself is read only after this lock is held (fixed order: account → hold), so its
# status cannot change under the caller.
_LOCK_HOLD_MEMBER = (
    select(LoyaltyAccount.id, LoyaltyAccount.balance, LoyaltyAccount.player_id)
    .where(
        LoyaltyAccount.id
        == select(LoyaltyHold.account_id).where(LoyaltyHold.id == bindparam("hold_id")).scalar_subquery()
    )
    .with_for_update(of=LoyaltyAccount)
)


@dataclass(frozen=True)
class HoldResult:
    hold_id: int
    status: str
    points: int
    captured_points: int
    refunded_points: int
    expires_at: dt.datetime
    balance: int


def _positive(points: int, what: str) -> None:
    if points <= 0:
        raise InvalidAmount(f"{what} must be a positive number of points, got {points}")


def _system_account(sql: Statements, find: Callable[[Session], int]) -> int:
    # Usually a cache hit; otherwise a query through the session, which must not overtake queued statements.
    return find(sql.settled_session())


def _holds_account(sql: Statements) -> int:
    return _system_account(sql, lambda session: programme_account(session, "holds"))


def _settlement_account(sql: Statements, partner_id: int | None) -> int:
    """Where redeemed points go (and a refund takes them from): the partner, or the rewards catalogue."""
    if partner_id is None:
        return _system_account(sql, lambda session: programme_account(session, "rewards"))
    return _system_account(sql, lambda session: partner_redeemed_account(session, partner_id))


def authorize(
    target: Target,
    *,
    member: Member,
    partner_id: int | None,
    points: int,
    now: dt.datetime,
    reference: str | None = None,
    lifetime: dt.timedelta = HOLD_LIFETIME,
) -> HoldResult:
    """Hold ``points`` of the member's for a redemption (``partner_id`` None: the rewards catalogue).

    A ``member`` found with ``lock=True`` carries its balance and its account is already locked. Every
    refusal is decided from the reads of one round trip, before any write is queued.
    """
    _positive(points, "a redemption")
    sql = Statements.of(target)
    holds_account = _holds_account(sql)
    locked = (
        None
        if member.balance is not None
        else sql.add(postings.LOCK_MEMBER, {"account_id": member.account_id})
    )
    recent = recent_calls(sql, member=member, now=now) if partner_id is not None else None
    live = lots.live_lots(sql, account_id=member.account_id, now=now)
    operation_id, hold_id = sql.reserve_id("loyalty_operations"), sql.reserve_id("loyalty_holds")
    balance = member.balance if locked is None else locked.one()[0]
    if recent is not None:
        enforce(recent, member=member)
    plan = lots.plan_draw(live.all(), points=points)
    operation = postings.new_operation(
        sql,
        kind="authorize",
        now=now,
        points=points,
        operation_id=operation_id.scalar(),
        account_id=member.account_id,
        partner_id=partner_id,
        card_id=member.card_id,
        reference=reference,
    )
    lots.take_from_lots(sql, operation_id=operation, plan=plan)
    postings.post(
        sql, operation_id=operation, debit=member.account_id, credit=holds_account, points=points, now=now
    )
    hold: dict[str, Any] = {
        "account_id": member.account_id,
        "partner_id": partner_id,
        "authorize_operation_id": operation,
        "points": points,
        "captured_points": 0,
        "refunded_points": 0,
        "status": "authorized",
        "expires_at": now + lifetime,
        "created_at": now,
    }
    reserved = hold_id.scalar()
    if reserved is None:
        reserved = sql.add(_INSERT_HOLD, hold).one()[0]
    else:
        sql.add(_INSERT_HOLD, {"id": reserved, **hold})
    return HoldResult(
        hold_id=reserved,
        status="authorized",
        points=points,
        captured_points=0,
        refunded_points=0,
        expires_at=now + lifetime,
        balance=balance - points,
    )


@dataclass(frozen=True)
class HoldLock:
    """A queued lock of a hold's member and read of the hold, with an operation id reserved for the change."""

    hold_id: int
    member: Pending
    hold: Pending
    operation_id: Pending


def lock_hold(target: Target, *, hold_id: int) -> HoldLock:
    """Queue: lock the hold's member account, then read the hold (fixed order: account → hold)."""
    sql = Statements.of(target)
    return HoldLock(
        hold_id=hold_id,
        member=sql.add(_LOCK_HOLD_MEMBER, {"hold_id": hold_id}),
        hold=sql.add(_HOLD, {"hold_id": hold_id}),
        operation_id=sql.reserve_id("loyalty_operations"),
    )


@dataclass(frozen=True)
class _Hold:
    """A hold as read under its member's lock."""

    id: int
    account_id: int
    player_id: int | None
    partner_id: int | None
    authorize_operation_id: int
    points: int
    captured_points: int
    refunded_points: int
    status: str
    expires_at: dt.datetime


def _locked_hold(
    target: Target, *, hold_id: int, partner_id: int | None, queued: HoldLock | None
) -> tuple[_Hold, int, int | None]:
    """The hold, its member's balance and a reserved operation id (None: let the insert pick one)."""
    queued = queued or lock_hold(target, hold_id=hold_id)
    member = queued.member.first()
    if member is None:
        raise HoldNotFound(f"no hold {hold_id}")
    row = queued.hold.one()
    hold = _Hold(
        id=row.id,
        account_id=row.account_id,
        player_id=member.player_id,
        partner_id=row.partner_id,
        authorize_operation_id=row.authorize_operation_id,
        points=row.points,
        captured_points=row.captured_points,
        refunded_points=row.refunded_points,
        status=row.status,
        expires_at=row.expires_at.astimezone(dt.UTC),
    )
    if hold.partner_id != partner_id:
        # The same answer as for no hold at all: a partner probing ids learns nothing of other partners'.
        raise HoldNotFound(f"no hold {hold_id}")
    return hold, member.balance, queued.operation_id.scalar()


def _require_open(hold: _Hold, *, now: dt.datetime) -> None:
    if hold.status != "authorized":
        raise HoldNotOpen(f"hold {hold.id} is already {hold.status}")
    if hold.expires_at <= now:
        raise HoldExpired(f"hold {hold.id} expired at {hold.expires_at.isoformat()}; authorize again")


def _release(sql: Statements, *, hold: _Hold, operation_id: int, points: int, now: dt.datetime) -> None:
    """Return held points to the member, into the lots they were drawn from."""
    postings.post(
        sql,
        operation_id=operation_id,
        debit=_holds_account(sql),
        credit=hold.account_id,
        points=points,
        now=now,
    )
    lots.return_to_lots(
        sql, from_operation_id=hold.authorize_operation_id, operation_id=operation_id, points=points
    )


def _set_hold(sql: Statements, hold: _Hold, balance: int, **values: Any) -> HoldResult:
    sql.add(_SET_HOLD, {"hold_id": hold.id, **values})
    return HoldResult(
        hold_id=hold.id,
        status=values.get("status", hold.status),
        points=hold.points,
        captured_points=values.get("captured_points", hold.captured_points),
        refunded_points=values.get("refunded_points", hold.refunded_points),
        expires_at=hold.expires_at,
        balance=balance,
    )


def capture(
    target: Target,
    *,
    hold_id: int,
    partner_id: int | None,
    now: dt.datetime,
    points: int | None = None,
    queued: HoldLock | None = None,
) -> HoldResult:
    """Take ``points`` (default: all) of an open hold; the rest goes back to the member.

    ``queued``: the :func:`lock_hold` a till call sent with its key claim, saving a round trip.
    """
    sql = Statements.of(target)
    holds_account, destination = _holds_account(sql), _settlement_account(sql, partner_id)
    hold, balance, reserved = _locked_hold(sql, hold_id=hold_id, partner_id=partner_id, queued=queued)
    points = hold.points if points is None else points
    _positive(points, "a capture")
    _require_open(hold, now=now)
    if points > hold.points:
        raise AmountAboveHold(f"capture of {points} points is above the hold's {hold.points}")
    operation_id = postings.new_operation(
        sql,
        kind="capture",
        now=now,
        points=points,
        operation_id=reserved,
        account_id=hold.account_id,
        partner_id=partner_id,
        hold_id=hold.id,
    )
    postings.post(
        sql,
        operation_id=operation_id,
        debit=holds_account,
        credit=destination,
        points=points,
        now=now,
        member_side=False,  # holds → partner or rewards: two system accounts
    )
    if points < hold.points:
        _release(sql, hold=hold, operation_id=operation_id, points=hold.points - points, now=now)
    # Through the session, not queued: with no subscriber this writes nothing and costs no round trip.
    emit(
        sql.session,
        PointsRedeemed(
            player_id=hold.player_id,
            account_id=hold.account_id,
            operation_id=operation_id,
            hold_id=hold.id,
            points=points,
            partner_id=partner_id,
        ),
        event_id=event_id_for(PointsRedeemed.name, str(operation_id)),
    )
    return _set_hold(
        sql,
        hold,
        balance + hold.points - points,
        status="captured",
        captured_points=points,
        closed_at=now,
    )


def void(
    target: Target,
    *,
    hold_id: int,
    partner_id: int | None,
    now: dt.datetime,
    reason: str | None = None,
    queued: HoldLock | None = None,
) -> HoldResult:
    """Cancel an open hold and give every point back; an expired hold may be voided (expiry does so)."""
    sql = Statements.of(target)
    _holds_account(sql)
    hold, balance, reserved = _locked_hold(sql, hold_id=hold_id, partner_id=partner_id, queued=queued)
    if hold.status != "authorized":
        raise HoldNotOpen(f"hold {hold.id} is already {hold.status}")
    operation_id = postings.new_operation(
        sql,
        kind="void",
        now=now,
        points=hold.points,
        operation_id=reserved,
        account_id=hold.account_id,
        partner_id=partner_id,
        hold_id=hold.id,
        reason=reason,
    )
    _release(sql, hold=hold, operation_id=operation_id, points=hold.points, now=now)
    return _set_hold(sql, hold, balance + hold.points, status="voided", closed_at=now)


def refund(
    target: Target,
    *,
    hold_id: int,
    partner_id: int | None,
    points: int,
    now: dt.datetime,
    queued: HoldLock | None = None,
) -> HoldResult:
    """Give back captured points (goods returned at the till) as a fresh lot.

    The fresh lot lives as long as the longest-lived lot the redemption drew from, but at least 30 days, so a
    refund never hands back points that are already dead.
    """
    _positive(points, "a refund")
    sql = Statements.of(target)
    source = _settlement_account(sql, partner_id)
    hold, balance, reserved = _locked_hold(sql, hold_id=hold_id, partner_id=partner_id, queued=queued)
    if hold.status != "captured":
        raise HoldNotOpen(f"hold {hold.id} is {hold.status}; only a captured redemption can be refunded")
    if points > hold.captured_points - hold.refunded_points:
        raise RefundAboveCapture(
            f"refund of {points} points is above the {hold.captured_points - hold.refunded_points}"
            " captured and not yet refunded"
        )
    operation_id = postings.new_operation(
        sql,
        kind="refund",
        now=now,
        points=points,
        operation_id=reserved,
        account_id=hold.account_id,
        partner_id=partner_id,
        hold_id=hold.id,
    )
    postings.post(
        sql, operation_id=operation_id, debit=source, credit=hold.account_id, points=points, now=now
    )
    latest = lots.latest_expiry_drawn(sql, operation_id=hold.authorize_operation_id)
    expires_at = max(latest or now, now + lots.REFUND_MIN_LIFETIME)
    lots.add_lot(
        sql,
        account_id=hold.account_id,
        operation_id=operation_id,
        points=points,
        expires_at=expires_at,
        now=now,
    )
    # Exact without an SQL expression: the hold was read under its member's lock.
    return _set_hold(sql, hold, balance + points, refunded_points=hold.refunded_points + points)


def stale_hold_ids(session: Session, *, now: dt.datetime, limit: int = 1000) -> list[int]:
    return list(
        session.execute(
            select(LoyaltyHold.id)
            .where(LoyaltyHold.status == "authorized", LoyaltyHold.expires_at <= now)
            .order_by(LoyaltyHold.expires_at)
            .limit(limit)
        ).scalars()
    )


def void_stale_hold(session: Session, *, hold_id: int, now: dt.datetime) -> bool:
    """Void one expired hold if it is still open (a till may have settled it meanwhile); True if voided."""
    partner_id = session.execute(select(LoyaltyHold.partner_id).where(LoyaltyHold.id == hold_id)).scalar_one()
    sql = Statements.of(session)
    queued = lock_hold(sql, hold_id=hold_id)
    hold, _balance, _reserved = _locked_hold(sql, hold_id=hold_id, partner_id=partner_id, queued=queued)
    if hold.status != "authorized" or hold.expires_at > now:
        return False
    void(
        sql,
        hold_id=hold_id,
        partner_id=partner_id,
        now=now,
        reason="hold expired before capture",
        queued=queued,
    )
    return True
