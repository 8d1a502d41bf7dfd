"""What every till route shares: the error format, the bounded body, the partner check, the idempotent unit
of work, and the database resources a till call runs on.

Used by ``.api`` (the core till API) and ``.rewards_api`` (returns and the rewards catalogue),
so a change to how the till authenticates, refuses or replays applies to every till route at once.

A partner's calls write no audit row: the ledger is their record (each operation names the partner, the
card and the receipt, and the answer is kept under the idempotency key), and an audit row per call would
add a write to every call on the till's hot path. Services therefore take ``actor=None`` from these routes
and audit only what staff do.

Resources live in the application's state, opened by :func:`open_resources` in the app's lifespan and
closed by :func:`close_resources` at shutdown: one session factory for the Session-based calls (a
sessionmaker per call would make a new Session subclass and walk every Session event listener) and, on
PostgreSQL, the connections of the one-round-trip redemption functions (``.procedures``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, Header, Path, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

from lottocrm import clock
from lottocrm.db.engine import session_factory
from lottocrm.db.outage import DatabaseUnavailable, is_outage
from lottocrm.errors import ServiceError
from lottocrm.loyalty.errors import LoyaltyError, PartnerNotAllowed
from lottocrm.loyalty.ledger import statements
from lottocrm.loyalty.programme.partners import AuthenticatedPartner, authenticate
from lottocrm.loyalty.till import idempotency, procedures
from lottocrm.loyalty.till.schemas import ErrorOut
from lottocrm.presentation.text import printable

# A till request is a few hundred bytes; anything near this is a mistake or an attack.
MAX_BODY_BYTES = 8 * 1024
# Ids are bigints in both stores; a larger one would fail in the database driver, not as a refusal.
MAX_ID = 2**63 - 1
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


def error_response(code: str, message: str, status: int, *, retry_after: int | None = None) -> JSONResponse:
    headers = None if retry_after is None else {"Retry-After": str(retry_after)}
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def bad_input(first: dict[str, Any], field: str) -> BadRequest:
    """The till error for the first validation error, whether FastAPI or a model reported it."""
    if first.get("type") == "json_invalid":
        return BadRequest("malformed_json", f"the body is not valid JSON: {first.get('msg')}", 400)
    location = [str(part) for part in first.get("loc", ())]
    if location[-1:] and location[-1] in AMOUNT_FIELDS:
        return BadRequest("invalid_amount", f"{field}: {first.get('msg')}", 422)
    return BadRequest("invalid_input", f"{field}: {first.get('msg')}", 422)


def missing_idempotency_key() -> BadRequest:
    return BadRequest("missing_idempotency_key", "send an Idempotency-Key header (1–100 characters)", 400)


def idempotency_key(value: str | None) -> str:
    """The Idempotency-Key header's value, refused when absent or too long."""
    if not value or len(value) > idempotency.MAX_KEY_LENGTH:
        raise missing_idempotency_key()
    return value


Body = TypeVar("Body", bound=BaseModel)


def parse_body(raw: bytes, model: type[Body]) -> Body:
    """A body parsed from bytes by a route's model (strict integers, no unknown fields)."""
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as exc:
        first = exc.errors()[0]
        raise bad_input(first, ".".join(str(part) for part in first.get("loc", ())) or "body") from None


def hold_id(raw: str) -> int:
    """The hold id of a path, read as ASCII digits only: ``str.isdigit`` also takes "¹" or "٣", which ``int``
    refuses or reads as another number, and ``int`` refuses more than 4 300 digits."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_ID)) or not 0 < int(raw) <= MAX_ID:
        raise BadRequest("invalid_input", f"hold_id: '{printable(raw, 24)}' is not a hold id", 422)
    return int(raw)


def _validation_error(exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    if location[:1] == ["header"] and location[-1:] == ["Idempotency-Key"]:
        refusal = missing_idempotency_key()
    else:
        refusal = bad_input(first, ".".join(location[1:]) or "body")
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
            except HTTPException as exc:
                if exc.status_code != 400:
                    raise
                # FastAPI refuses a body it cannot decode (not UTF-8): malformed, as on the fast path.
                return error_response("malformed_json", f"the body is not valid JSON: {exc.detail}", 400)
            except ServiceError as exc:
                return error_response(exc.code, exc.message, exc.http_status, retry_after=exc.retry_after)

        return guarded


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 413, 422, 429)
} | {
    503: {
        "model": ErrorOut,
        "description": "The database cannot be reached: send the same call again (same Idempotency-Key)",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    }
}
api_key_header = APIKeyHeader(name="X-Api-Key", auto_error=False, description="The partner's till key")

TillKey = Annotated[str | None, Security(api_key_header)]
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="An id this API answered earlier")]
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=idempotency.MAX_KEY_LENGTH)
]


def open_resources(app: FastAPI) -> None:
    """Open the till's database resources on the app's engine (lifespan start)."""
    app.state.till_sessions = session_factory(app.state.engine)
    app.state.till_connections = procedures.open_for(app.state.engine)


async def close_resources(app: FastAPI) -> None:
    connections = getattr(app.state, "till_connections", None)
    if connections is not None:
        await connections.close()


@asynccontextmanager
async def resources(app: FastAPI) -> AsyncIterator[None]:
    """The till's sessions and connections are the app's: opened with it, closed when the server stops."""
    open_resources(app)
    try:
        yield
    finally:
        await close_resources(app)


def _ensure_resources(app: FastAPI) -> None:
    # An app used without its lifespan (a TestClient that was not entered) opens them on first use.
    if not hasattr(app.state, "till_sessions"):
        open_resources(app)


def sessions(request: Request) -> sessionmaker[Session]:
    _ensure_resources(request.app)
    return request.app.state.till_sessions


def connections(app: FastAPI) -> procedures.TillConnections | None:
    """The redemption functions' connections; None where the database has no such functions (SQLite)."""
    _ensure_resources(app)
    return app.state.till_connections


@contextmanager
def transaction(request: Request) -> Iterator[Session]:
    """The call's unit of work on the application's engine: commit on success, roll back on any error; a
    connection refused or lost on the way is :class:`DatabaseUnavailable` (503, retry with the same key)."""
    try:
        with sessions(request)() as session, session.begin():
            yield session
    except DBAPIError as error:
        if is_outage(error):
            raise DatabaseUnavailable() from error
        raise


def partner(session: Session, secret: str | None, *, needs: str | None = None) -> AuthenticatedPartner:
    """The calling partner, checked inside the call's own transaction (one round trip, no extra BEGIN)."""
    if not secret:
        raise Unauthorized("send the partner's till key in the X-Api-Key header")
    found = authenticate(session, secret=secret)
    if found is None:
        raise Unauthorized("unknown or revoked API key")
    if not found.active:
        raise PartnerNotAllowed(f"partner {found.code} is suspended from the programme")
    if needs == "earn" and not found.can_earn:
        raise PartnerNotAllowed(f"partner {found.code} may not issue points")
    if needs == "redeem" and not found.can_redeem:
        raise PartnerNotAllowed(f"partner {found.code} may not accept points")
    return found


Action = Callable[[Session, AuthenticatedPartner, dt.datetime], BaseModel]


def till_call(
    request: Request,
    secret: str | None,
    key: str,
    body: BaseModel,
    action: Action,
    *,
    needs: str | None = None,
) -> JSONResponse:
    """An idempotent till call through a Session-based ``action``."""

    def run(
        sql: statements.Statements, caller: AuthenticatedPartner, at: dt.datetime, _prefetched: object
    ) -> dict[str, Any]:
        return action(sql.settled_session(), caller, at).model_dump(mode="json")

    fingerprint = idempotency.request_hash(request.url.path, body.model_dump(mode="json"))
    return idempotent(request, secret, key, fingerprint, run, needs=needs)


Work = Callable[[statements.Statements, AuthenticatedPartner, dt.datetime, Any], dict[str, Any]]


def idempotent(
    request: Request,
    secret: str | None,
    key: str,
    fingerprint: str,
    work: Work,
    *,
    needs: str | None = None,
    before_claim_read: Callable[[statements.Statements], Any] | None = None,
) -> JSONResponse:
    """Claim the key, do the work, store its answer — a refusal too — and commit, in one transaction.

    ``before_claim_read`` queues statements to send with the claim (on PostgreSQL, in the same round trip);
    whatever it returns is handed to ``work`` as its last argument.
    """
    at = clock.now()
    with transaction(request) as session:
        caller = partner(session, secret, needs=needs)
        sql = statements.for_call(session)
        claim = idempotency.queue_claim(sql, partner_id=caller.id, key=key, fingerprint=fingerprint, now=at)
        prefetched = before_claim_read(sql) if before_claim_read is not None else None
        replay = claim.replay()
        if replay is not None:
            return JSONResponse(
                replay.response, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
            )
        try:
            payload, status = work(sql, caller, at, prefetched), 200
        except LoyaltyError as refusal:
            if not idempotency.remember_refusal(sql, partner_id=caller.id, key=key, refusal=refusal):
                raise
            payload, status = idempotency.refusal_body(refusal), refusal.http_status
        else:
            idempotency.remember(sql, partner_id=caller.id, key=key, status_code=status, response=payload)
        sql.flush()
    return JSONResponse(payload, status_code=status)
