"""Till endpoints beside the core till API: returns of purchases, and the rewards catalogue.

Same prefix (/api/v1/loyalty), same partner key, same error format and the same idempotent unit of work as
``.api`` — both run through ``.calls`` (route class, partner check, idempotent unit of work), so
a change to how the till authenticates or replays applies here too.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.loyalty.programme import catalogue, returns
from lottocrm.loyalty.programme.members import find_member, queue_lookup, redemption_terms
from lottocrm.loyalty.programme.partners import AuthenticatedPartner
from lottocrm.loyalty.till.calls import (
    ERRORS,
    IdempotencyKey,
    RecordId,
    TillKey,
    TillRoute,
    partner,
    till_call,
    transaction,
)
from lottocrm.loyalty.till.schemas import (
    CancelOrderRequest,
    CatalogueOut,
    CatalogueRequest,
    OrderOut,
    OrderRequest,
    ReturnOut,
    ReturnRequest,
    RewardOfferOut,
)

router = APIRouter(prefix="/loyalty", tags=["loyalty till"], route_class=TillRoute, responses=ERRORS)


@router.post(
    "/till/earns/{operation_id}/return",
    response_model=ReturnOut,
    summary="Return goods: take back the points their purchase earned",
)
def return_purchase(
    request: Request, operation_id: RecordId, body: ReturnRequest, secret: TillKey, key: IdempotencyKey
) -> JSONResponse:
    """``operation_id`` is the one ``/till/earn`` answered for the purchase. Points come back in proportion
    to the kopecks returned; if the member already spent them the call is refused with
    ``points_already_spent`` unless ``allow_shortfall`` is set."""

    def action(session: Session, partner: AuthenticatedPartner, now: dt.datetime) -> ReturnOut:
        result = returns.return_purchase(
            session,
            earn_operation_id=operation_id,
            partner_id=partner.id,
            returned_kopecks=body.returned_kopecks,
            now=now,
            allow_shortfall=body.allow_shortfall,
            reference=body.receipt,
            actor=None,
        )
        return ReturnOut(**result.__dict__)

    # Any active partner may take back its own points, even one no longer allowed to issue new ones.
    return till_call(request, secret, key, body, action)


@router.post(
    "/rewards/catalogue",
    response_model=CatalogueOut,
    summary="Rewards this member may order: tier allowed, in stock",
)
def rewards_catalogue(request: Request, body: CatalogueRequest, secret: TillKey) -> CatalogueOut:
    """Read-only, so it needs no idempotency key (a POST only to keep the phone number out of URLs)."""
    with transaction(request) as session:
        partner(session, secret)
        member = find_member(session, **body.lookup())
        offers = catalogue.visible_rewards(
            session,
            account_id=member.account_id,
            now=clock.now(),
            include_out_of_stock=body.include_out_of_stock,
        )
    return CatalogueOut(
        tier=offers.tier,
        spendable=offers.spendable,
        rewards=[RewardOfferOut(**offer.__dict__) for offer in offers.rewards],
    )


@router.post(
    "/rewards/orders", response_model=OrderOut, summary="Order a reward: reserve a unit and hold its points"
)
def order_reward(request: Request, body: OrderRequest, secret: TillKey, key: IdempotencyKey) -> JSONResponse:
    """The member's points are spent, so by card number or scanned barcode: a phone is refused with 403
    ``phone_needs_code`` (spending points by phone will need a one-time code sent to the member)."""
    terms = redemption_terms(**body.lookup())

    def action(session: Session, partner: AuthenticatedPartner, now: dt.datetime) -> OrderOut:
        order_id = catalogue.order_reward(
            session,
            member=queue_lookup(session, terms).get(),
            reward_code=body.reward_code,
            now=now,
            partner_id=partner.id,
            actor=None,
        )
        return OrderOut(**catalogue.order_view(session, order_id=order_id).__dict__)

    return till_call(request, secret, key, body, action, needs="redeem")


@router.post(
    "/rewards/orders/{order_id}/cancel",
    response_model=OrderOut,
    summary="Cancel a reward order: the unit and the points come back",
)
def cancel_order(
    request: Request, order_id: RecordId, body: CancelOrderRequest, secret: TillKey, key: IdempotencyKey
) -> JSONResponse:
    def action(session: Session, partner: AuthenticatedPartner, now: dt.datetime) -> OrderOut:
        catalogue.cancel_order(
            session, order_id=order_id, now=now, partner_id=partner.id, any_partner=False, actor=None
        )
        return OrderOut(**catalogue.order_view(session, order_id=order_id).__dict__)

    return till_call(request, secret, key, body, action)
