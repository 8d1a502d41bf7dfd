"""The till API: how a partner's point of sale identifies a member, earns, and redeems points in real time.

Every mutating call carries an ``Idempotency-Key`` header and runs as one transaction: key claimed, member
locked, postings written, answer stored, commit — and only then is the answer sent. Errors always come back
as ``{"error": {"code", "message"}}`` with nothing posted (the transaction rolled back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from lottocrm.db.engine import session_factory
from lottocrm.loyalty import cards, earning, idempotency, ledger, redemption
from lottocrm.loyalty.errors import LoyaltyError, PartnerNotAllowed, UnknownCard
from lottocrm.loyalty.members import find_member
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyCard
from lottocrm.loyalty.partners import AuthenticatedPartner, authenticate
from lottocrm.loyalty.schemas import (
    AuthorizeRequest,
    CaptureRequest,
    EarnOut,
    EarnRequest,
    ErrorOut,
    HoldOut,
    MemberOut,
    MemberRef,
    RefundRequest,
    VoidRequest,
)

# A till request is a few hundred bytes; anything near this is a mistake or an attack.
MAX_BODY_BYTES = 8 * 1024
AMOUNT_FIELDS = {"points", "purchase_kopecks"}


class Unauthorized(LoyaltyError):
    code, http_status = "unauthorized", 401


class BodyTooLarge(LoyaltyError):
    code, http_status = "body_too_large", 413


def error_response(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _validation_error(exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    field = ".".join(location[1:]) or "body"
    if first.get("type") == "json_invalid":
        return error_response("malformed_json", f"the body is not valid JSON: {first.get('msg')}", 400)
    if location[:1] == ["header"] and location[-1:] == ["Idempotency-Key"]:
        return error_response(
            "missing_idempotency_key", "send an Idempotency-Key header (1–100 characters)", 400
        )
    if location[-1:] and location[-1] in AMOUNT_FIELDS:
        return error_response("invalid_amount", f"{field}: {first.get('msg')}", 422)
    return error_response("invalid_input", f"{field}: {first.get('msg')}", 422)


async def _read_bounded_body(request: Request) -> None:
    """Read the body up to the limit, so an oversized upload is refused without being buffered whole."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise BodyTooLarge(f"request bodies are limited to {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"request bodies are limited to {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    # Starlette serves later body reads from this cache; the stream itself can be read only once.
    request._body = b"".join(chunks)


class TillRoute(APIRoute):
    """Turns every refusal on these routes into the till error format instead of FastAPI's default."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                await _read_bounded_body(request)
                return await handler(request)
            except RequestValidationError as exc:
                return _validation_error(exc)
            except LoyaltyError as exc:
                return error_response(exc.code, exc.message, exc.http_status)

        return guarded


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
router = APIRouter(prefix="/loyalty", tags=["loyalty till"], route_class=TillRoute, responses=ERRORS)
api_key_header = APIKeyHeader(name="X-Api-Key", auto_error=False, description="The partner's till key")


TillKey = Annotated[str | None, Security(api_key_header)]
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=idempotency.MAX_KEY_LENGTH)
]


@lru_cache(maxsize=8)
def _sessions(engine: Engine) -> sessionmaker[Session]:
    # One factory per engine, not one per call: each sessionmaker makes a Session subclass, and SQLAlchemy
    # walks every Session event listener for a new class — measurable CPU on a call that is otherwise cheap.
    return session_factory(engine)


@contextmanager
def _transaction(request: Request) -> Iterator[Session]:
    """The call's unit of work on the application's engine: commit on success, roll back on any error."""
    with _sessions(request.app.state.engine)() as session, session.begin():
        yield session


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _partner(session: Session, secret: str | None, *, needs: str | None = None) -> AuthenticatedPartner:
    """The calling partner, checked inside the call's own transaction (one round trip, no extra BEGIN)."""
    if not secret:
        raise Unauthorized("send the partner's till key in the X-Api-Key header")
    partner = authenticate(session, secret=secret)
    if partner is None:
        raise Unauthorized("unknown or revoked API key")
    if not partner.active:
        raise PartnerNotAllowed(f"partner {partner.code} is suspended from the programme")
    if needs == "earn" and not partner.can_earn:
        raise PartnerNotAllowed(f"partner {partner.code} may not issue points")
    if needs == "redeem" and not partner.can_redeem:
        raise PartnerNotAllowed(f"partner {partner.code} may not accept points")
    return partner


Action = Callable[[Session, AuthenticatedPartner, dt.datetime], BaseModel]


def _till_call(
    request: Request,
    secret: str | None,
    key: str,
    body: BaseModel,
    action: Action,
    *,
    needs: str | None = None,
) -> JSONResponse:
    fingerprint = idempotency.request_hash(request.url.path, body.model_dump(mode="json"))
    now = _now()
    with _transaction(request) as session:
        partner = _partner(session, secret, needs=needs)
        replay = idempotency.claim(session, partner_id=partner.id, key=key, fingerprint=fingerprint, now=now)
        if replay is not None:
            return JSONResponse(
                replay.response, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
            )
        payload = action(session, partner, now).model_dump(mode="json")
        idempotency.remember(session, partner_id=partner.id, key=key, status_code=200, response=payload)
    return JSONResponse(payload)


def _hold_out(result: redemption.HoldResult) -> HoldOut:
    return HoldOut(**result.__dict__)


@router.post("/till/identify", response_model=MemberOut, summary="Find a member by card, phone or barcode")
def identify(request: Request, body: MemberRef, secret: TillKey) -> MemberOut:
    """Read-only, so it needs no idempotency key."""
    with _transaction(request) as session:
        _partner(session, secret)
        member = find_member(session, **body.lookup())
        account = session.execute(
            select(LoyaltyAccount.balance, LoyaltyAccount.tier).where(LoyaltyAccount.id == member.account_id)
        ).one()
        spendable = ledger.spendable(session, account_id=member.account_id, now=_now())
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

    return _till_call(request, secret, key, body, action, needs="earn")


@router.post("/till/authorize", response_model=HoldOut, summary="Hold points for a redemption")
def authorize(request: Request, body: AuthorizeRequest, secret: TillKey, key: IdempotencyKey) -> JSONResponse:
    def action(session: Session, partner: AuthenticatedPartner, now: dt.datetime) -> HoldOut:
        member = find_member(session, **body.lookup())
        return _hold_out(
            redemption.authorize(
                session,
                member=member,
                partner_id=partner.id,
                points=body.points,
                now=now,
                reference=body.receipt,
            )
        )

    return _till_call(request, secret, key, body, action, needs="redeem")


@router.post("/till/holds/{hold_id}/capture", response_model=HoldOut, summary="Capture a hold (all or part)")
def capture(
    request: Request, hold_id: int, body: CaptureRequest, secret: TillKey, key: IdempotencyKey
) -> JSONResponse:
    def action(session: Session, partner: AuthenticatedPartner, now: dt.datetime) -> HoldOut:
        return _hold_out(
            redemption.capture(session, hold_id=hold_id, partner_id=partner.id, points=body.points, now=now)
        )

    return _till_call(request, secret, key, body, action)


@router.post("/till/holds/{hold_id}/void", response_model=HoldOut, summary="Cancel a hold")
def void(
    request: Request, hold_id: int, body: VoidRequest, secret: TillKey, key: IdempotencyKey
) -> JSONResponse:
    def action(session: Session, partner: AuthenticatedPartner, now: dt.datetime) -> HoldOut:
        return _hold_out(redemption.void(session, hold_id=hold_id, partner_id=partner.id, now=now))

    return _till_call(request, secret, key, body, action)


@router.post("/till/holds/{hold_id}/refund", response_model=HoldOut, summary="Refund captured points")
def refund(
    request: Request, hold_id: int, body: RefundRequest, secret: TillKey, key: IdempotencyKey
) -> JSONResponse:
    def action(session: Session, partner: AuthenticatedPartner, now: dt.datetime) -> HoldOut:
        return _hold_out(
            redemption.refund(session, hold_id=hold_id, partner_id=partner.id, points=body.points, now=now)
        )

    return _till_call(request, secret, key, body, action)


def _known_card(request: Request, secret: str | None, number: str) -> None:
    with _transaction(request) as session:
        _partner(session, secret)
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
