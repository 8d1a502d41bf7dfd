"""Returns: goods brought back to a partner's till take back the points their purchase earned.

A return names the earn (the ``operation_id`` the till got from ``/till/earn``) and the kopecks refunded.
Points come back in proportion, cumulatively: after returns totalling R of a purchase of S kopecks that
earned E points, exactly ⌊E·R/S⌋ points have been taken back, so partial returns never round past the
earn and a purchase returned in full gives back exactly E — never more. Each return is an ``earn_reversal``
operation (``reverses_id`` = the earn, ``spend_kopecks`` = the kopecks returned) posting member → the
account that funded the earn (the partner's issued account), drawing the earn's own lot first.

Points already spent (the member redeemed them before returning the goods): a balance never goes below
zero, so by default such a return is refused with ``points_already_spent`` and nothing is posted. The
usual retail answer is then to hold back the missing points' value (1 point = 1 ₽) from the cash refund and
repeat the call with ``allow_shortfall``: the return takes what the member has and the rest is written
off — left on the partner's issued account, i.e. the partner keeps paying for those points in settlement,
which the cash it held back covers. A cancelled lottery ticket (``earning.reverse_earn``) always writes the
shortfall off: the programme funded that earn itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BigInteger, Row, cast, func, select, update
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.loyalty.errors import AlreadyDone, InvalidAmount, LoyaltyError
from lottocrm.loyalty.ledger import lots, postings
from lottocrm.loyalty.ledger.accounts import balance_of, player_id_of
from lottocrm.loyalty.models import LoyaltyLot, LoyaltyOperation, LoyaltyPosting


class PurchaseNotFound(LoyaltyError):
    code, http_status = "purchase_not_found", 404


class ReturnAbovePurchase(LoyaltyError):
    code, http_status = "return_above_purchase", 422


class PointsAlreadySpent(LoyaltyError):
    code, http_status = "points_already_spent", 409


@dataclass(frozen=True)
class ReturnResult:
    operation_id: int
    earn_operation_id: int
    returned_kopecks: int
    points: int
    shortfall: int
    purchase_kopecks: int
    returned_kopecks_total: int
    points_earned: int
    balance: int


def earn_operation(session: Session, operation_id: int) -> Row | None:
    """The operation a return or reversal names, with what they need of it (None: no such operation)."""
    return session.execute(
        select(
            LoyaltyOperation.id,
            LoyaltyOperation.kind,
            LoyaltyOperation.account_id,
            LoyaltyOperation.partner_id,
            LoyaltyOperation.points,
            LoyaltyOperation.spend_kopecks,
            LoyaltyOperation.created_at,
        ).where(LoyaltyOperation.id == operation_id)
    ).first()


def returned_so_far(session: Session, *, earn: Row) -> int:
    """Kopecks of the purchase already returned; read under the member's lock to be exact.

    Filtered by the member and time as well: ``reverses_id`` has no index of its own, while (account_id,
    created_at) has, so this reads one member's operations since the purchase, not the whole table.
    """
    return session.execute(
        select(func.coalesce(cast(func.sum(LoyaltyOperation.spend_kopecks), BigInteger), 0)).where(
            LoyaltyOperation.account_id == earn.account_id,
            LoyaltyOperation.created_at >= earn.created_at,
            LoyaltyOperation.kind == "earn_reversal",
            LoyaltyOperation.reverses_id == earn.id,
        )
    ).scalar_one()


def points_due_back(*, earned: int, purchase_kopecks: int, returned_kopecks: int) -> int:
    """Points taken back in all once ``returned_kopecks`` of the purchase are back (floored, cumulative)."""
    return earned * returned_kopecks // purchase_kopecks


def take_back(
    session: Session,
    *,
    earn: Row,
    returned_kopecks: int,
    previously_returned: int,
    now: dt.datetime,
    allow_shortfall: bool,
    **operation_fields: object,
) -> tuple[int, int, int]:
    """Post the reversal for ``returned_kopecks`` more of the purchase; the member must be locked.

    Returns (operation id, points taken back, shortfall written off).
    """
    purchase = earn.spend_kopecks or 0
    if purchase > 0:
        total = previously_returned + returned_kopecks
        due = points_due_back(earned=earn.points, purchase_kopecks=purchase, returned_kopecks=total)
        due -= points_due_back(
            earned=earn.points, purchase_kopecks=purchase, returned_kopecks=previously_returned
        )
    else:
        due = earn.points  # an earn with no amount can only be reversed whole
    funding = session.execute(
        select(LoyaltyPosting.debit_account_id).where(LoyaltyPosting.operation_id == earn.id)
    ).scalar_one_or_none()
    if funding is None:
        due = 0  # the earn posted nothing (a cap left it at 0 points): nothing to take back
    available = lots.spendable(session, account_id=earn.account_id, now=now) if due else 0
    if available < due and not allow_shortfall:
        raise PointsAlreadySpent(
            f"the return takes back {due} points but the member has {available} left; hold back "
            f"{due - available} points' value from the refund and repeat with allow_shortfall"
        )
    operation_id = postings.new_operation(
        session,
        kind="earn_reversal",
        now=now,
        points=0,
        account_id=earn.account_id,
        partner_id=earn.partner_id,
        reverses_id=earn.id,
        spend_kopecks=returned_kopecks,
        **operation_fields,
    )
    taken = 0
    if due:
        own_lot = session.execute(
            # The member's lots (indexed by account), not a scan of every lot for the operation id.
            select(LoyaltyLot.id).where(
                LoyaltyLot.account_id == earn.account_id, LoyaltyLot.operation_id == earn.id
            )
        ).scalar_one_or_none()
        taken = lots.draw_lots(
            session,
            account_id=earn.account_id,
            operation_id=operation_id,
            points=due,
            now=now,
            first_lot_id=own_lot,
            partial=True,
        )
    if taken:
        postings.post(
            session, operation_id=operation_id, debit=earn.account_id, credit=funding, points=taken, now=now
        )
    shortfall = due - taken
    values: dict[str, object] = {"points": taken}
    if shortfall:
        reason = operation_fields.get("reason")
        note = f"{shortfall} points already spent, written off"
        values["reason"] = f"{reason}; {note}" if reason else note
    session.execute(update(LoyaltyOperation).where(LoyaltyOperation.id == operation_id).values(**values))
    return operation_id, taken, shortfall


def return_purchase(
    session: Session,
    *,
    earn_operation_id: int,
    partner_id: int,
    returned_kopecks: int,
    now: dt.datetime,
    actor: Actor | None,
    allow_shortfall: bool = False,
    reference: str | None = None,
) -> ReturnResult:
    """Goods worth ``returned_kopecks`` of an earlier purchase at this partner came back: take back points.

    ``actor``: staff making the return (audited, and named on the operation); None for the partner's till,
    whose call the ledger records.
    """
    if returned_kopecks <= 0:
        raise InvalidAmount(f"a return must be a positive number of kopecks, got {returned_kopecks}")
    earn = earn_operation(session, earn_operation_id)
    # Another partner's purchase is answered as none at all: a partner probing ids learns nothing of it.
    if earn is None or earn.kind != "earn" or earn.partner_id != partner_id:
        raise PurchaseNotFound(f"no purchase at this partner earned points as operation {earn_operation_id}")
    postings.lock_members(session, [earn.account_id])
    if session.execute(
        select(LoyaltyOperation.id).where(LoyaltyOperation.source_key == f"reversal:{earn.id}")
    ).first():
        raise AlreadyDone(f"purchase {earn.id} was already reversed in full")
    previously = returned_so_far(session, earn=earn)
    left = earn.spend_kopecks - previously
    if returned_kopecks > left:
        raise ReturnAbovePurchase(
            f"return of {returned_kopecks} kopecks is above the {left} left of the"
            f" {earn.spend_kopecks}-kopeck purchase"
        )
    operation_id, taken, shortfall = take_back(
        session,
        earn=earn,
        returned_kopecks=returned_kopecks,
        previously_returned=previously,
        now=now,
        allow_shortfall=allow_shortfall,
        reference=reference,
        reason=f"return of {returned_kopecks} of {earn.spend_kopecks} kopecks",
        actor=None if actor is None else actor.name,
    )
    if actor is not None:
        record(
            session,
            actor=actor,
            action="loyalty.purchase_returned",
            player_id=player_id_of(session, earn.account_id),
            detail={
                "operation_id": operation_id,
                "earn_operation_id": earn.id,
                "returned_kopecks": returned_kopecks,
                "points": taken,
                "shortfall": shortfall,
            },
        )
    return ReturnResult(
        operation_id=operation_id,
        earn_operation_id=earn.id,
        returned_kopecks=returned_kopecks,
        points=taken,
        shortfall=shortfall,
        purchase_kopecks=earn.spend_kopecks,
        returned_kopecks_total=previously + returned_kopecks,
        points_earned=earn.points,
        balance=balance_of(session, earn.account_id),
    )
