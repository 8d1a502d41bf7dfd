"""The till API: how a partner's point of sale identifies a member, earns, and redeems points in real time.

Every mutating call carries an ``Idempotency-Key`` header and runs as one transaction: key claimed, member
locked, postings written, answer stored, commit — and only then is the answer sent. Errors always come back
as ``{"error": {"code", "message"}}`` with nothing posted; a business refusal is stored under its key (see
``idempotency``).

The redemption routes (authorize, capture, void, refund) are the till's hot path and take a leaner way
through the stack: the handler gets the bare Request, the body is parsed straight from bytes by the same
pydantic model (its JSON schema is still published in OpenAPI), and the call's statements go out in three
round trips on PostgreSQL — key claim with member lock and reads, then the writes with the stored answer,
then COMMIT — on a connection pool without a pre-ping (a connection the server dropped fails one call, which
the till retries with the same key).

Those four handlers also run on the event loop itself rather than in the thread pool: the hop to a pool
thread and back, and the two threads taking turns on the GIL, cost 15–27 % of a call's CPU (measured, see
bench/RESULTS.md). A call holds no await point, so a worker serves redemptions one at a time, start to finish
— it never waits on a lock held by a redemption of its own — and a worker's other requests wait for the one
in hand (a few milliseconds). Run ``lottocrm serve --workers N`` with N about the number of cores.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from lottocrm.db.engine import session_factory
from lottocrm.loyalty import batch, cards, earning, idempotency, ledger, redemption
from lottocrm.loyalty.errors import LoyaltyError, PartnerNotAllowed, UnknownCard
from lottocrm.loyalty.members import PendingMember, find_member, lookup_member
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
# Body fields whose refusal is answered ``invalid_amount`` rather than ``invalid_input`` (returns included).
AMOUNT_FIELDS = frozenset({"points", "purchase_kopecks", "returned_kopecks"})


class Unauthorized(LoyaltyError):
    code, http_status = "unauthorized", 401


class BodyTooLarge(LoyaltyError):
    code, http_status = "body_too_large", 413


class BadRequest(LoyaltyError):
    """Refused before anything ran (malformed JSON, a missing header, a field out of range)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.http_status = code, status


def error_response(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _bad_input(first: dict[str, Any], field: str) -> BadRequest:
    """The till error for the first validation error, whether FastAPI or a model reported it."""
    if first.get("type") == "json_invalid":
        return BadRequest("malformed_json", f"the body is not valid JSON: {first.get('msg')}", 400)
    location = [str(part) for part in first.get("loc", ())]
    if location[-1:] and location[-1] in AMOUNT_FIELDS:
        return BadRequest("invalid_amount", f"{field}: {first.get('msg')}", 422)
    return BadRequest("invalid_input", f"{field}: {first.get('msg')}", 422)


def _missing_idempotency_key() -> BadRequest:
    return BadRequest("missing_idempotency_key", "send an Idempotency-Key header (1–100 characters)", 400)


def _validation_error(exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    if location[:1] == ["header"] and location[-1:] == ["Idempotency-Key"]:
        refusal = _missing_idempotency_key()
    else:
        refusal = _bad_input(first, ".".join(location[1:]) or "body")
    return error_response(refusal.code, refusal.message, refusal.http_status)


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


# Till session factories by application engine. One factory per engine, not one per call: each
# sessionmaker makes a Session subclass, and SQLAlchemy walks every Session event listener for a new class —
# measurable CPU on a call that is otherwise cheap. A server has one engine; tests make one per database, so
# only the latest few pools are kept and an older one is disposed (its idle connections closed at once:
# PostgreSQL's connection slots are shared with everything else on the machine).
_till_sessions: dict[Engine, tuple[sessionmaker[Session], Engine | None]] = {}
_TILL_POOLS_KEPT = 2
_till_sessions_lock = threading.Lock()


def _sessions(engine: Engine) -> sessionmaker[Session]:
    found = _till_sessions.get(engine)
    if found is not None:
        return found[0]
    with _till_sessions_lock:
        found = _till_sessions.get(engine)
        if found is None:
            own = None
            if engine.dialect.name == "postgresql":
                # The till's own pool, without the application pool's pre-ping: that is a round trip on
                # every checkout, a quarter of a till call's. A connection the server closed fails one call
                # instead; the till retries it with the same idempotency key, and the pool replaces it.
                own = create_engine(engine.url, pool_size=10, max_overflow=20, pool_pre_ping=False)
            found = (session_factory(own or engine), own)
            _till_sessions[engine] = found
            while len(_till_sessions) > _TILL_POOLS_KEPT:
                _factory, retired = _till_sessions.pop(next(iter(_till_sessions)))
                if retired is not None:
                    retired.dispose()
    return found[0]


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
    """An idempotent till call through a Session-based ``action`` (the hot path: ``_redemption_call``)."""

    def run(
        sql: batch.Statements, partner: AuthenticatedPartner, now: dt.datetime, _prefetched: object
    ) -> dict[str, Any]:
        return action(sql.settled_session(), partner, now).model_dump(mode="json")

    fingerprint = idempotency.request_hash(request.url.path, body.model_dump(mode="json"))
    return _idempotent(request, secret, key, fingerprint, run, needs=needs)


Work = Callable[[batch.Statements, AuthenticatedPartner, dt.datetime, Any], dict[str, Any]]


def _idempotent(
    request: Request,
    secret: str | None,
    key: str,
    fingerprint: str,
    work: Work,
    *,
    needs: str | None = None,
    before_claim_read: Callable[[batch.Statements], Any] | None = None,
) -> JSONResponse:
    """Claim the key, do the work, store its answer — a refusal too — and commit, in one transaction.

    ``before_claim_read`` queues statements to send with the claim (on PostgreSQL, in the same round trip);
    whatever it returns is handed to ``work`` as its last argument.
    """
    now = _now()
    with _transaction(request) as session:
        partner = _partner(session, secret, needs=needs)
        sql = batch.for_call(session)
        claim = idempotency.queue_claim(sql, partner_id=partner.id, key=key, fingerprint=fingerprint, now=now)
        prefetched = before_claim_read(sql) if before_claim_read is not None else None
        replay = claim.replay()
        if replay is not None:
            return JSONResponse(
                replay.response, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
            )
        try:
            payload, status = work(sql, partner, now, prefetched), 200
        except LoyaltyError as refusal:
            if not idempotency.remember_refusal(sql, partner_id=partner.id, key=key, refusal=refusal):
                raise
            payload, status = idempotency.refusal_body(refusal), refusal.http_status
        else:
            idempotency.remember(sql, partner_id=partner.id, key=key, status_code=status, response=payload)
        sql.flush()
    return JSONResponse(payload, status_code=status)


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


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key")
    if not key or len(key) > idempotency.MAX_KEY_LENGTH:
        raise _missing_idempotency_key()
    return key


Body = TypeVar("Body", bound=BaseModel)


def _parse(request: Request, model: type[Body]) -> Body:
    """The body, parsed from bytes by the route's model (strict integers, no unknown fields)."""
    try:
        return model.model_validate_json(request._body or b"")  # noqa: SLF001 - read by TillRoute
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _bad_input(first, ".".join(str(part) for part in first.get("loc", ())) or "body") from None


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
    body: BaseModel,
    queue: Callable[[batch.Statements], Any],
    act: Callable[[batch.Statements, AuthenticatedPartner, dt.datetime, Any], redemption.HoldResult],
    *,
    needs: str | None = None,
) -> JSONResponse:
    def work(
        sql: batch.Statements, partner: AuthenticatedPartner, now: dt.datetime, queued: Any
    ) -> dict[str, Any]:
        return _hold_payload(act(sql, partner, now, queued))

    fingerprint = idempotency.request_hash(request.url.path, body.model_dump(mode="json"))
    secret = request.headers.get("x-api-key")
    return _idempotent(
        request, secret, _idempotency_key(request), fingerprint, work, needs=needs, before_claim_read=queue
    )


@router.post(
    "/till/authorize",
    response_model=HoldOut,
    summary="Hold points for a redemption",
    openapi_extra=_lean(AuthorizeRequest),
)
async def authorize(request: Request) -> JSONResponse:
    _idempotency_key(request)
    body = _parse(request, AuthorizeRequest)

    def act(
        sql: batch.Statements, partner: AuthenticatedPartner, now: dt.datetime, member: PendingMember
    ) -> redemption.HoldResult:
        return redemption.authorize(
            sql,
            member=member.get(),
            partner_id=partner.id,
            points=body.points,
            now=now,
            reference=body.receipt,
        )

    def queue(sql: batch.Statements) -> PendingMember:
        return lookup_member(sql, **body.lookup(), lock=True)

    return _redemption_call(request, body, queue, act, needs="redeem")


@router.post(
    "/till/holds/{hold_id}/capture",
    response_model=HoldOut,
    summary="Capture a hold (all or part)",
    openapi_extra=_lean(CaptureRequest),
)
async def capture(request: Request) -> JSONResponse:
    hold_id = _hold_id(request)
    _idempotency_key(request)
    body = _parse(request, CaptureRequest)

    def act(
        sql: batch.Statements, partner: AuthenticatedPartner, now: dt.datetime, queued: redemption.HoldLock
    ) -> redemption.HoldResult:
        return redemption.capture(
            sql, hold_id=hold_id, partner_id=partner.id, points=body.points, now=now, queued=queued
        )

    return _redemption_call(request, body, partial(_lock_hold, hold_id), act)


@router.post(
    "/till/holds/{hold_id}/void",
    response_model=HoldOut,
    summary="Cancel a hold",
    openapi_extra=_lean(VoidRequest),
)
async def void(request: Request) -> JSONResponse:
    hold_id = _hold_id(request)
    _idempotency_key(request)
    body = _parse(request, VoidRequest)

    def act(
        sql: batch.Statements, partner: AuthenticatedPartner, now: dt.datetime, queued: redemption.HoldLock
    ) -> redemption.HoldResult:
        return redemption.void(sql, hold_id=hold_id, partner_id=partner.id, now=now, queued=queued)

    return _redemption_call(request, body, partial(_lock_hold, hold_id), act)


@router.post(
    "/till/holds/{hold_id}/refund",
    response_model=HoldOut,
    summary="Refund captured points",
    openapi_extra=_lean(RefundRequest),
)
async def refund(request: Request) -> JSONResponse:
    hold_id = _hold_id(request)
    _idempotency_key(request)
    body = _parse(request, RefundRequest)

    def act(
        sql: batch.Statements, partner: AuthenticatedPartner, now: dt.datetime, queued: redemption.HoldLock
    ) -> redemption.HoldResult:
        return redemption.refund(
            sql, hold_id=hold_id, partner_id=partner.id, points=body.points, now=now, queued=queued
        )

    return _redemption_call(request, body, partial(_lock_hold, hold_id), act)


def _lock_hold(hold_id: int, sql: batch.Statements) -> redemption.HoldLock:
    return redemption.lock_hold(sql, hold_id=hold_id)


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
