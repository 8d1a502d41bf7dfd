"""Two-phase redemption: authorize parks points on the holds account; capture, void or refund settle them.

Postings: authorize member→holds; capture holds→partner redeemed (and holds→member for any part not
captured); void holds→member; refund partner redeemed→member. A hold changes state only under its member's
account lock, and capture/void require status "authorized", so a hold is captured at most once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.loyalty import ledger
from lottocrm.loyalty.accounts import partner_redeemed_account, programme_account
from lottocrm.loyalty.errors import (
    AmountAboveHold,
    HoldExpired,
    HoldNotFound,
    HoldNotOpen,
    InvalidAmount,
    PartnerNotAllowed,
    RefundAboveCapture,
)
from lottocrm.loyalty.members import Member
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold
from lottocrm.loyalty.velocity import check_velocity

HOLD_LIFETIME = dt.timedelta(minutes=15)

# Built once and run on the session's Connection (see ledger): every authorize, capture and void runs these.
# Holds are read as plain rows, so the Core updates below are seen at once without an ORM refresh.
_HOLDS = LoyaltyHold.__table__
_INSERT_HOLD = insert(_HOLDS).returning(*_HOLDS.c)
_HOLD = select(*_HOLDS.c).where(_HOLDS.c.id == bindparam("hold_id"))
_SET_HOLD = update(_HOLDS).where(_HOLDS.c.id == bindparam("hold_id")).returning(*_HOLDS.c)
# The member behind a hold, locked and with its balance, in one round trip; the hold itself is read only
# after this lock is held (fixed order: account → hold), so its status cannot change under the caller.
_LOCK_HOLD_MEMBER = (
    select(LoyaltyAccount.id, LoyaltyAccount.balance)
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


def _hold_row(session: Session, hold_id: int) -> Row:
    return session.connection().execute(_HOLD, {"hold_id": hold_id}).one()


def _result(hold: Row, balance: int) -> HoldResult:
    return HoldResult(
        hold_id=hold.id,
        status=hold.status,
        points=hold.points,
        captured_points=hold.captured_points,
        refunded_points=hold.refunded_points,
        expires_at=hold.expires_at,
        balance=balance,
    )


def _set_hold(session: Session, hold_id: int, **values: object) -> Row:
    return session.connection().execute(_SET_HOLD, {"hold_id": hold_id, **values}).one()


def authorize(
    session: Session,
    *,
    member: Member,
    partner_id: int | None,
    points: int,
    now: dt.datetime,
    reference: str | None = None,
    lifetime: dt.timedelta = HOLD_LIFETIME,
) -> HoldResult:
    """Hold ``points`` of the member's for a redemption (``partner_id`` None: the rewards catalogue)."""
    _positive(points, "a redemption")
    balance = ledger.lock_members(session, [member.account_id])[member.account_id]
    if partner_id is not None:
        check_velocity(session, member=member, now=now)
    operation_id = ledger.new_operation(
        session,
        kind="authorize",
        now=now,
        points=points,
        account_id=member.account_id,
        partner_id=partner_id,
        card_id=member.card_id,
        reference=reference,
    )
    ledger.draw_lots(session, account_id=member.account_id, operation_id=operation_id, points=points, now=now)
    ledger.post(
        session,
        operation_id=operation_id,
        debit=member.account_id,
        credit=programme_account(session, "holds"),
        points=points,
        now=now,
    )
    hold = (
        session.connection()
        .execute(
            _INSERT_HOLD,
            {
                "account_id": member.account_id,
                "partner_id": partner_id,
                "authorize_operation_id": operation_id,
                "points": points,
                "captured_points": 0,
                "refunded_points": 0,
                "status": "authorized",
                "expires_at": now + lifetime,
                "created_at": now,
            },
        )
        .one()
    )
    return _result(hold, balance - points)


def _locked_hold(session: Session, *, hold_id: int, partner_id: int | None) -> tuple[Row, int]:
    """Lock the hold's member account, then read the hold (fixed order: account → hold); with the balance."""
    member = session.connection().execute(_LOCK_HOLD_MEMBER, {"hold_id": hold_id}).first()
    if member is None:
        raise HoldNotFound(f"no hold {hold_id}")
    balance = member.balance
    hold = _hold_row(session, hold_id)
    if hold.partner_id != partner_id:
        raise PartnerNotAllowed(f"hold {hold_id} was authorized by another partner")
    return hold, balance


def _require_open(hold: Row, *, now: dt.datetime) -> None:
    if hold.status != "authorized":
        raise HoldNotOpen(f"hold {hold.id} is already {hold.status}")
    if hold.expires_at <= now:
        raise HoldExpired(f"hold {hold.id} expired at {hold.expires_at.isoformat()}; authorize again")


def _release(session: Session, *, hold: Row, operation_id: int, points: int, now: dt.datetime) -> None:
    """Return held points to the member, into the lots they were drawn from."""
    ledger.post(
        session,
        operation_id=operation_id,
        debit=programme_account(session, "holds"),
        credit=hold.account_id,
        points=points,
        now=now,
    )
    ledger.return_to_lots(
        session, from_operation_id=hold.authorize_operation_id, operation_id=operation_id, points=points
    )


def capture(
    session: Session, *, hold_id: int, partner_id: int | None, now: dt.datetime, points: int | None = None
) -> HoldResult:
    """Take ``points`` (default: all) of an open hold; the rest goes back to the member."""
    hold, balance = _locked_hold(session, hold_id=hold_id, partner_id=partner_id)
    points = hold.points if points is None else points
    _positive(points, "a capture")
    _require_open(hold, now=now)
    if points > hold.points:
        raise AmountAboveHold(f"capture of {points} points is above the hold's {hold.points}")
    operation_id = ledger.new_operation(
        session,
        kind="capture",
        now=now,
        points=points,
        account_id=hold.account_id,
        partner_id=partner_id,
        hold_id=hold.id,
    )
    destination = (
        partner_redeemed_account(session, partner_id)
        if partner_id is not None
        else programme_account(session, "rewards")
    )
    ledger.post(
        session,
        operation_id=operation_id,
        debit=programme_account(session, "holds"),
        credit=destination,
        points=points,
        now=now,
    )
    if points < hold.points:
        _release(session, hold=hold, operation_id=operation_id, points=hold.points - points, now=now)
    closed = _set_hold(session, hold.id, status="captured", captured_points=points, closed_at=now)
    return _result(closed, balance + hold.points - points)


def void(
    session: Session, *, hold_id: int, partner_id: int | None, now: dt.datetime, reason: str | None = None
) -> HoldResult:
    """Cancel an open hold and give every point back; an expired hold may be voided (expiry does so)."""
    hold, balance = _locked_hold(session, hold_id=hold_id, partner_id=partner_id)
    if hold.status != "authorized":
        raise HoldNotOpen(f"hold {hold.id} is already {hold.status}")
    operation_id = ledger.new_operation(
        session,
        kind="void",
        now=now,
        points=hold.points,
        account_id=hold.account_id,
        partner_id=partner_id,
        hold_id=hold.id,
        reason=reason,
    )
    _release(session, hold=hold, operation_id=operation_id, points=hold.points, now=now)
    return _result(_set_hold(session, hold.id, status="voided", closed_at=now), balance + hold.points)


def refund(
    session: Session, *, hold_id: int, partner_id: int | None, points: int, now: dt.datetime
) -> HoldResult:
    """Give back captured points (goods returned at the till) as a fresh lot.

    The fresh lot lives as long as the longest-lived lot the redemption drew from, but at least 30 days, so a
    refund never hands back points that are already dead.
    """
    _positive(points, "a refund")
    hold, balance = _locked_hold(session, hold_id=hold_id, partner_id=partner_id)
    if hold.status != "captured":
        raise HoldNotOpen(f"hold {hold.id} is {hold.status}; only a captured redemption can be refunded")
    if points > hold.captured_points - hold.refunded_points:
        raise RefundAboveCapture(
            f"refund of {points} points is above the {hold.captured_points - hold.refunded_points}"
            " captured and not yet refunded"
        )
    operation_id = ledger.new_operation(
        session,
        kind="refund",
        now=now,
        points=points,
        account_id=hold.account_id,
        partner_id=partner_id,
        hold_id=hold.id,
    )
    source = (
        partner_redeemed_account(session, partner_id)
        if partner_id is not None
        else programme_account(session, "rewards")
    )
    ledger.post(
        session, operation_id=operation_id, debit=source, credit=hold.account_id, points=points, now=now
    )
    latest = ledger.latest_expiry_drawn(session, operation_id=hold.authorize_operation_id)
    expires_at = max(latest or now, now + ledger.REFUND_MIN_LIFETIME)
    ledger.add_lot(
        session,
        account_id=hold.account_id,
        operation_id=operation_id,
        points=points,
        expires_at=expires_at,
        now=now,
    )
    # Exact without an SQL expression: the hold was read under its member's lock.
    refunded = _set_hold(session, hold.id, refunded_points=hold.refunded_points + points)
    return _result(refunded, balance + points)


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
    hold, balance = _locked_hold(session, hold_id=hold_id, partner_id=partner_id)
    if hold.status != "authorized" or hold.expires_at > now:
        return False
    void(session, hold_id=hold_id, partner_id=partner_id, now=now, reason="hold expired before capture")
    return True
