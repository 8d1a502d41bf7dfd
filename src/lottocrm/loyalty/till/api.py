"""The till API: how a partner's point of sale identifies a member, earns, and redeems points in real time.

Every mutating call carries an ``Idempotency-Key`` header and runs as one transaction: key claimed, member
locked, postings written, answer stored, commit — and only then is the answer sent. Errors always come back
as ``{"error": {"code", "message"}}`` with nothing posted; a business refusal is stored under its key (see
``.idempotency``). What the routes share lives in ``.calls``.

The redemption routes (authorize, capture, void, refund) are the till's hot path. On PostgreSQL the server
usually answers them before they reach these handlers: ``.fastpath`` calls one server-side function per call
(``.procedures``: one statement, one round trip, one transaction). The handlers below are what OpenAPI
describes, and they serve SQLite, an app mounted without the fast path, and the calls the fast path lets
through, through the Python services (``programme.redemption``) with statements queued per
``ledger.statements``. They get the bare Request, parse the body from bytes with the route's pydantic model
and run on the event loop, not in the thread pool (the hop to a pool thread costs a measurable share of a
call's CPU: bench/RESULTS.md). Rule: such a handler holds no await point, so a worker serves them one at a
time, start to finish, and never waits on a lock held by a redemption of its own; do not add one. Run
``lottocrm serve --workers N`` with N about the number of cores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.loyalty.errors import UnknownCard
from lottocrm.loyalty.ledger import statements
from lottocrm.loyalty.models import LoyaltyCard
from lottocrm.loyalty.programme import cards, earning, redemption
from lottocrm.loyalty.programme.members import (
    PendingMember,
    find_member,
    queue_lookup,
    redemption_terms,
    standing,
)
from lottocrm.loyalty.programme.partners import AuthenticatedPartner
from lottocrm.loyalty.till import calls, idempotency
from lottocrm.loyalty.till.calls import (
    ERRORS,
    IdempotencyKey,
    TillKey,
    TillRoute,
    idempotent,
    partner,
    till_call,
    transaction,
)
from lottocrm.loyalty.till.schemas import (
    AuthorizeRequest,
    CaptureRequest,
    EarnOut,
    EarnRequest,
    HoldOut,
    MemberOut,
    MemberRef,
    RefundRequest,
    VoidRequest,
)
from lottocrm.players.schemas import mask_card
from lottocrm.presentation.text import printable

router = APIRouter(prefix="/loyalty", tags=["loyalty till"], route_class=TillRoute, responses=ERRORS)


@router.post("/till/identify", response_model=MemberOut, summary="Find a member by card, phone or barcode")
def identify(request: Request, body: MemberRef, secret: TillKey) -> MemberOut:
    """Read-only, so it needs no idempotency key. The card number comes back masked: a till identifying by
    phone learns no more of the card than its last digits."""
    with transaction(request) as session:
        partner(session, secret)
        member = find_member(session, **body.lookup())
        held = standing(session, account_id=member.account_id, now=clock.now())
    return MemberOut(
        card_number=mask_card(member.card_number),
        balance=held.balance,
        spendable=held.spendable,
        tier=held.tier,
    )


@router.post("/till/earn", response_model=EarnOut, summary="Earn points for a purchase")
def earn(request: Request, body: EarnRequest, secret: TillKey, key: IdempotencyKey) -> JSONResponse:
    def action(session: Session, partner: AuthenticatedPartner, now: dt.datetime) -> EarnOut:
        member = find_member(session, **body.lookup())
        result = earning.earn_at_partner(
            session,
            member=member,
            partner_id=partner.id,
            spend_kopecks=body.purchase_kopecks,
            now=now,
            reference=body.receipt,
        )
        return EarnOut(**result.__dict__)

    return till_call(request, secret, key, body, action, needs="earn")


def _idempotency_key(request: Request) -> str:
    return calls.idempotency_key(request.headers.get("idempotency-key"))


def _parse(request: Request, model: type[calls.Body]) -> calls.Body:
    return calls.parse_body(request._body or b"", model)  # noqa: SLF001 - read by TillRoute


def _hold_id(request: Request) -> int:
    return calls.hold_id(request.path_params["hold_id"])


def _hold_payload(result: redemption.HoldResult) -> dict[str, Any]:
    """HoldOut as JSON, written directly (the same text pydantic writes: UTC times end in Z)."""
    return {
        "hold_id": result.hold_id,
        "status": result.status,
        "points": result.points,
        "captured_points": result.captured_points,
        "refunded_points": result.refunded_points,
        "expires_at": result.expires_at.isoformat().replace("+00:00", "Z"),
        "balance": result.balance,
    }


def _lean(model: type[BaseModel], *, on_hold: bool = True) -> dict[str, Any]:
    """OpenAPI for a lean route: the body schema, path and headers FastAPI would have derived from parameters
    (``calls.hold_id`` reads the path)."""
    hold = {
        "name": "hold_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": calls.MAX_ID},
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        },
        "parameters": [
            *([hold] if on_hold else []),
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
            },
        ],
        "security": [{"APIKeyHeader": []}],
    }


def _redemption_call(
    request: Request,
    key: str,
    body: BaseModel,
    queue: Callable[[statements.Statements], Any],
    act: Callable[[statements.Statements, AuthenticatedPartner, dt.datetime, Any], redemption.HoldResult],
    *,
    needs: str | None = None,
) -> JSONResponse:
    """A redemption call through the Python services (SQLite): ``queue`` runs with the key claim."""

    def work(
        sql: statements.Statements, caller: AuthenticatedPartner, at: dt.datetime, queued: Any
    ) -> dict[str, Any]:
        return _hold_payload(act(sql, caller, at, queued))

    fingerprint = idempotency.request_hash(request.url.path, body.model_dump(mode="json"))
    secret = request.headers.get("x-api-key")
    return idempotent(request, secret, key, fingerprint, work, needs=needs, before_claim_read=queue)


@router.post(
    "/till/authorize",
    response_model=HoldOut,
    summary="Hold points for a redemption",
    openapi_extra=_lean(AuthorizeRequest, on_hold=False),
)
async def authorize(request: Request) -> JSONResponse:
    """By card number or scanned barcode: a phone is refused with 403 ``phone_needs_code`` (spending points
    by phone will need a one-time code sent to the member)."""
    key = _idempotency_key(request)
    body = _parse(request, AuthorizeRequest)
    terms = redemption_terms(**body.lookup())

    def act(
        sql: statements.Statements, caller: AuthenticatedPartner, at: dt.datetime, member: PendingMember
    ) -> redemption.HoldResult:
        return redemption.authorize(
            sql, member=member.get(), partner_id=caller.id, points=body.points, now=at, reference=body.receipt
        )

    def queue(sql: statements.Statements) -> PendingMember:
        return queue_lookup(sql, terms, lock=True)

    return _redemption_call(request, key, body, queue, act, needs="redeem")


@router.post(
    "/till/holds/{hold_id}/capture",
    response_model=HoldOut,
    summary="Capture a hold (all or part)",
    openapi_extra=_lean(CaptureRequest),
)
async def capture(request: Request) -> JSONResponse:
    hold_id = _hold_id(request)
    key = _idempotency_key(request)
    body = _parse(request, CaptureRequest)

    def act(
        sql: statements.Statements, caller: AuthenticatedPartner, at: dt.datetime, queued: redemption.HoldLock
    ) -> redemption.HoldResult:
        return redemption.capture(
            sql, hold_id=hold_id, partner_id=caller.id, points=body.points, now=at, queued=queued
        )

    return _redemption_call(request, key, body, partial(_lock_hold, hold_id), act)


@router.post(
    "/till/holds/{hold_id}/void",
    response_model=HoldOut,
    summary="Cancel a hold",
    openapi_extra=_lean(VoidRequest),
)
async def void(request: Request) -> JSONResponse:
    hold_id = _hold_id(request)
    key = _idempotency_key(request)
    body = _parse(request, VoidRequest)

    def act(
        sql: statements.Statements, caller: AuthenticatedPartner, at: dt.datetime, queued: redemption.HoldLock
    ) -> redemption.HoldResult:
        return redemption.void(sql, hold_id=hold_id, partner_id=caller.id, now=at, queued=queued)

    return _redemption_call(request, key, body, partial(_lock_hold, hold_id), act)


@router.post(
    "/till/holds/{hold_id}/refund",
    response_model=HoldOut,
    summary="Refund captured points",
    openapi_extra=_lean(RefundRequest),
)
async def refund(request: Request) -> JSONResponse:
    hold_id = _hold_id(request)
    key = _idempotency_key(request)
    body = _parse(request, RefundRequest)

    def act(
        sql: statements.Statements, caller: AuthenticatedPartner, at: dt.datetime, queued: redemption.HoldLock
    ) -> redemption.HoldResult:
        return redemption.refund(
            sql, hold_id=hold_id, partner_id=caller.id, points=body.points, now=at, queued=queued
        )

    return _redemption_call(request, key, body, partial(_lock_hold, hold_id), act)


def _lock_hold(hold_id: int, sql: statements.Statements) -> redemption.HoldLock:
    return redemption.lock_hold(sql, hold_id=hold_id)


def _known_card(request: Request, secret: str | None, number: str) -> None:
    with transaction(request) as session:
        partner(session, secret)
        # A number that fails its check digit is not looked up: the path may hold anything, a NUL included.
        if (
            not cards.is_valid_card_number(number)
            or session.execute(select(LoyaltyCard.id).where(LoyaltyCard.number == number)).first() is None
        ):
            raise UnknownCard(f"no card {printable(number, 32)}")


@router.get("/cards/{number}/barcode.png", response_class=Response, summary="Code 128 barcode of a card")
def card_barcode(request: Request, number: str, secret: TillKey) -> Response:
    _known_card(request, secret, number)
    return Response(cards.barcode_png(number), media_type="image/png")


@router.get("/cards/{number}/qr.png", response_class=Response, summary="QR code of a card")
def card_qr(request: Request, number: str, secret: TillKey) -> Response:
    _known_card(request, secret, number)
    return Response(cards.qr_png(number), media_type="image/png")
