"""The till API: how a partner's point of sale identifies a member, earns, and redeems points in real time.

Every mutating call carries an ``Idempotency-Key`` header and runs as one transaction: key claimed, member
locked, postings written, answer stored, commit — and only then is the answer sent. Errors always come back
as ``{"error": {"code", "message"}}`` with nothing posted; a business refusal is stored under its key (see
``idempotency``). What the routes share lives in ``till_calls``.

The redemption routes (authorize, capture, void, refund) are the till's hot path. On PostgreSQL each is one
call of a server-side function (``till_procedures``, migration 0012): one statement, one round trip, one
transaction. Elsewhere (SQLite) the same routes run the Python services (``redemption``) in a Session, the
statements one by one. Either way the handler gets the bare Request and parses the body from bytes with the
route's pydantic model (its JSON schema is still published in OpenAPI).

Those four handlers run on the event loop itself rather than in the thread pool: the hop to a pool thread
and back, and the two threads taking turns on the GIL, cost 15–27 % of a call's CPU (measured, see
bench/RESULTS.md). On PostgreSQL they await the function, so a worker has several calls in the database at
once (each call's locks are taken and released inside its one statement, so none waits on another's event
loop). On SQLite a call holds no await point: a worker serves redemptions one at a time, start to finish, and
its other requests wait for the one in hand (a few milliseconds). Run ``lottocrm serve --workers N`` with N
about the number of cores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.loyalty import batch, cards, earning, idempotency, ledger, redemption, till_procedures
from lottocrm.loyalty.errors import UnknownCard
from lottocrm.loyalty.members import PendingMember, find_member, lookup_member, lookup_terms
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyCard
from lottocrm.loyalty.partners import AuthenticatedPartner
from lottocrm.loyalty.schemas import (
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
from lottocrm.loyalty.till_calls import (
    ERRORS,
    BadRequest,
    IdempotencyKey,
    TillKey,
    TillRoute,
    Unauthorized,
    bad_input,
    connections,
    idempotent,
    missing_idempotency_key,
    now,
    partner,
    till_call,
    transaction,
)
from lottocrm.security.api_keys import digest_api_key, key_prefix

router = APIRouter(prefix="/loyalty", tags=["loyalty till"], route_class=TillRoute, responses=ERRORS)


@router.post("/till/identify", response_model=MemberOut, summary="Find a member by card, phone or barcode")
def identify(request: Request, body: MemberRef, secret: TillKey) -> MemberOut:
    """Read-only, so it needs no idempotency key."""
    with transaction(request) as session:
        partner(session, secret)
        member = find_member(session, **body.lookup())
        account = session.execute(
            select(LoyaltyAccount.balance, LoyaltyAccount.tier).where(LoyaltyAccount.id == member.account_id)
        ).one()
        spendable = ledger.spendable(session, account_id=member.account_id, now=now())
    return MemberOut(
        card_number=member.card_number, balance=account.balance, spendable=spendable, tier=account.tier
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
    key = request.headers.get("idempotency-key")
    if not key or len(key) > idempotency.MAX_KEY_LENGTH:
        raise missing_idempotency_key()
    return key


Body = TypeVar("Body", bound=BaseModel)


def _parse(request: Request, model: type[Body]) -> Body:
    """The body, parsed from bytes by the route's model (strict integers, no unknown fields)."""
    try:
        return model.model_validate_json(request._body or b"")  # noqa: SLF001 - read by TillRoute
    except ValidationError as exc:
        first = exc.errors()[0]
        raise bad_input(first, ".".join(str(part) for part in first.get("loc", ())) or "body") from None


def _hold_id(request: Request) -> int:
    raw = request.path_params["hold_id"]
    if not raw.isdigit() or int(raw) >= 2**63:
        raise BadRequest("invalid_input", f"hold_id: {raw!r} is not a hold id", 422)
    return int(raw)


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


def _lean(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a lean route: the body schema and headers FastAPI would have derived from parameters."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
            }
        ],
        "security": [{"APIKeyHeader": []}],
    }


def _redemption_call(
    request: Request,
    key: str,
    body: BaseModel,
    queue: Callable[[batch.Statements], Any],
    act: Callable[[batch.Statements, AuthenticatedPartner, dt.datetime, Any], redemption.HoldResult],
    *,
    needs: str | None = None,
) -> JSONResponse:
    """A redemption call through the Python services (SQLite): ``queue`` runs with the key claim."""

    def work(
        sql: batch.Statements, caller: AuthenticatedPartner, at: dt.datetime, queued: Any
    ) -> dict[str, Any]:
        return _hold_payload(act(sql, caller, at, queued))

    fingerprint = idempotency.request_hash(request.url.path, body.model_dump(mode="json"))
    secret = request.headers.get("x-api-key")
    return idempotent(request, secret, key, fingerprint, work, needs=needs, before_claim_read=queue)


def _caller(request: Request, key: str, body: BaseModel) -> till_procedures.Caller:
    """Who calls, for a redemption function: the key is checked in the same statement as the call."""
    secret = request.headers.get("x-api-key")
    if not secret:
        raise Unauthorized("send the partner's till key in the X-Api-Key header")
    prefix = key_prefix(secret)
    if prefix is None:
        raise Unauthorized("unknown or revoked API key")
    return till_procedures.Caller(
        prefix=prefix,
        digest=digest_api_key(secret),
        key=key,
        fingerprint=idempotency.request_hash(request.url.path, body.model_dump(mode="json")),
    )


def _answer(answer: till_procedures.Answer) -> Response:
    """The function's answer as it is: its JSON text was written, and stored under the key, by the server."""
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return Response(answer.body, status_code=answer.status, media_type="application/json", headers=headers)


@router.post(
    "/till/authorize",
    response_model=HoldOut,
    summary="Hold points for a redemption",
    openapi_extra=_lean(AuthorizeRequest),
)
async def authorize(request: Request) -> Response:
    key = _idempotency_key(request)
    body = _parse(request, AuthorizeRequest)
    procedures = connections(request)
    if procedures is not None:
        terms = lookup_terms(**body.lookup())
        at = now()
        return _answer(
            await till_procedures.authorize(
                procedures,
                _caller(request, key, body),
                card_number=terms.card_number,
                phone=terms.phone,
                refusal=terms.refusal,
                points=body.points,
                reference=body.receipt,
                now=at,
                expires_at=at + redemption.HOLD_LIFETIME,
            )
        )

    def act(
        sql: batch.Statements, caller: AuthenticatedPartner, at: dt.datetime, member: PendingMember
    ) -> redemption.HoldResult:
        return redemption.authorize(
            sql, member=member.get(), partner_id=caller.id, points=body.points, now=at, reference=body.receipt
        )

    def queue(sql: batch.Statements) -> PendingMember:
        return lookup_member(sql, **body.lookup(), lock=True)

    return _redemption_call(request, key, body, queue, act, needs="redeem")


@router.post(
    "/till/holds/{hold_id}/capture",
    response_model=HoldOut,
    summary="Capture a hold (all or part)",
    openapi_extra=_lean(CaptureRequest),
)
async def capture(request: Request) -> Response:
    hold_id = _hold_id(request)
    key = _idempotency_key(request)
    body = _parse(request, CaptureRequest)
    procedures = connections(request)
    if procedures is not None:
        return _answer(
            await till_procedures.capture(
                procedures, _caller(request, key, body), hold_id=hold_id, points=body.points, now=now()
            )
        )

    def act(
        sql: batch.Statements, caller: AuthenticatedPartner, at: dt.datetime, queued: redemption.HoldLock
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
async def void(request: Request) -> Response:
    hold_id = _hold_id(request)
    key = _idempotency_key(request)
    body = _parse(request, VoidRequest)
    procedures = connections(request)
    if procedures is not None:
        return _answer(
            await till_procedures.void(procedures, _caller(request, key, body), hold_id=hold_id, now=now())
        )

    def act(
        sql: batch.Statements, caller: AuthenticatedPartner, at: dt.datetime, queued: redemption.HoldLock
    ) -> redemption.HoldResult:
        return redemption.void(sql, hold_id=hold_id, partner_id=caller.id, now=at, queued=queued)

    return _redemption_call(request, key, body, partial(_lock_hold, hold_id), act)


@router.post(
    "/till/holds/{hold_id}/refund",
    response_model=HoldOut,
    summary="Refund captured points",
    openapi_extra=_lean(RefundRequest),
)
async def refund(request: Request) -> Response:
    hold_id = _hold_id(request)
    key = _idempotency_key(request)
    body = _parse(request, RefundRequest)
    procedures = connections(request)
    if procedures is not None:
        return _answer(
            await till_procedures.refund(
                procedures, _caller(request, key, body), hold_id=hold_id, points=body.points, now=now()
            )
        )

    def act(
        sql: batch.Statements, caller: AuthenticatedPartner, at: dt.datetime, queued: redemption.HoldLock
    ) -> redemption.HoldResult:
        return redemption.refund(
            sql, hold_id=hold_id, partner_id=caller.id, points=body.points, now=at, queued=queued
        )

    return _redemption_call(request, key, body, partial(_lock_hold, hold_id), act)


def _lock_hold(hold_id: int, sql: batch.Statements) -> redemption.HoldLock:
    return redemption.lock_hold(sql, hold_id=hold_id)


def _known_card(request: Request, secret: str | None, number: str) -> None:
    with transaction(request) as session:
        partner(session, secret)
        if session.execute(select(LoyaltyCard.id).where(LoyaltyCard.number == number)).first() is None:
            raise UnknownCard(f"no card {number}")


@router.get("/cards/{number}/barcode.png", response_class=Response, summary="Code 128 barcode of a card")
def card_barcode(request: Request, number: str, secret: TillKey) -> Response:
    _known_card(request, secret, number)
    return Response(cards.barcode_png(number), media_type="image/png")


@router.get("/cards/{number}/qr.png", response_class=Response, summary="QR code of a card")
def card_qr(request: Request, number: str, secret: TillKey) -> Response:
    _known_card(request, secret, number)
    return Response(cards.qr_png(number), media_type="image/png")
