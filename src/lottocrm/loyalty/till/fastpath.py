"""The redemption routes on PostgreSQL, answered in plain ASGI ahead of FastAPI's routing.

A redemption on PostgreSQL is one call of a server-side function (``.procedures``), so what costs CPU per
call is the web stack around it: FastAPI's exception and dependency layers, matching the path against every
route of the app, Request and Response objects. :class:`TillFastPath` sits inside the app's security headers
middleware (which still adds its headers) and answers ``POST …/till/authorize`` and
``POST …/till/holds/{id}/capture|void|refund`` itself: it reads the body up to the same limit, refuses with
the same codes in the same order as the routes in ``.api``, and sends the function's answer as it is. Those
routes stay mounted — they are what OpenAPI describes, and they serve SQLite, where no function exists and
this class lets every request through.

The functions cannot emit domain events. So a route whose Python services announce an event (``ANNOUNCES``)
is let through to the FastAPI handler, and to the services that emit, whenever an installed subscriber
listens to that event; the other routes stay fast. With no such subscriber the fast path answers everything,
and the services would have written nothing for the event anyway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from lottocrm import clock, domains
from lottocrm.errors import ServiceError
from lottocrm.loyalty.events import PointsRedeemed
from lottocrm.loyalty.programme import redemption
from lottocrm.loyalty.programme.members import redemption_terms
from lottocrm.loyalty.till import calls, idempotency, procedures
from lottocrm.loyalty.till.calls import MAX_BODY_BYTES, BodyTooLarge, Unauthorized
from lottocrm.loyalty.till.schemas import AuthorizeRequest, CaptureRequest, RefundRequest, VoidRequest
from lottocrm.manifest import Domain
from lottocrm.security.api_keys import digest_api_key, key_prefix

# What each route's Python services announce (``programme.redemption``); a test holds this to them.
ANNOUNCES: dict[str, tuple[str, ...]] = {
    "authorize": (),
    "capture": (PointsRedeemed.name,),
    "void": (),
    "refund": (),
}

_JSON = (b"content-type", b"application/json")
_REPLAYED = (b"idempotent-replayed", b"true")


class TillFastPath:
    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        """``prefix``: where the till routes are mounted, e.g. ``/api/v1/loyalty``."""
        self.app = app
        self._route = re.compile(
            re.escape(prefix) + r"/till/(?:(authorize)|holds/([^/]+)/(capture|void|refund))"
        )
        self._decided_for: tuple[Domain, ...] | None = None
        self._stepped_aside: frozenset[str] = frozenset()

    def _answers(self, route: re.Match[str]) -> bool:
        """False when a subscriber listens to what the route's services announce.

        Decided again only when the installed domains change (a test installs one by replacing the tuple):
        asking the composition root hashes every manifest, a cost each till call need not pay.
        """
        installed = domains.INSTALLED
        if installed is not self._decided_for:
            self._stepped_aside = frozenset(
                action
                for action, events in ANNOUNCES.items()
                if any(domains.subscribers_of(event) for event in events)
            )
            self._decided_for = installed
        return (route.group(1) or route.group(3)) not in self._stepped_aside

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            route = self._route.fullmatch(scope["path"])
            if route is not None and self._answers(route):
                owner: FastAPI = scope["app"]
                connections = calls.connections(owner)
                if connections is not None:
                    await self._serve(connections, route, scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(
        self,
        connections: procedures.TillConnections,
        route: re.Match[str],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        headers = dict(scope["headers"])
        try:
            raw = await _bounded_body(headers.get(b"content-length"), receive)
            answer = await _call(connections, route, scope["path"], headers, raw)
        except ServiceError as refusal:
            body = json.dumps(
                {"error": {"code": refusal.code, "message": refusal.message}},
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode("utf-8")
            await _respond(send, refusal.http_status, body, replayed=False, retry_after=refusal.retry_after)
            return
        await _respond(send, answer.status, answer.body, replayed=answer.replayed)


async def _bounded_body(declared: bytes | None, receive: Receive) -> bytes:
    """The body, refused past the limit without being buffered whole (as ``calls.TillRoute`` does)."""
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise BodyTooLarge(f"request bodies are limited to {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; whatever came is parsed and refused as malformed
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"request bodies are limited to {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _caller(headers: dict[bytes, bytes], key: str, path: str, body: Any) -> procedures.Caller:
    """Who calls: the partner's key is checked by the function itself, in the call's own statement."""
    secret = headers.get(b"x-api-key", b"").decode("latin-1")
    if not secret:
        raise Unauthorized("send the partner's till key in the X-Api-Key header")
    prefix = key_prefix(secret)
    if prefix is None:
        raise Unauthorized("unknown or revoked API key")
    return procedures.Caller(
        prefix=prefix,
        digest=digest_api_key(secret),
        key=key,
        fingerprint=idempotency.request_hash(path, body.model_dump(mode="json")),
    )


async def _call(
    connections: procedures.TillConnections,
    route: re.Match[str],
    path: str,
    headers: dict[bytes, bytes],
    raw: bytes,
) -> procedures.Answer:
    """Refusals in the routes' order: hold id, idempotency key, body (a phone on authorize), then the
    partner key."""
    is_authorize, raw_hold_id, action = route.groups()
    hold_id = None if is_authorize else calls.hold_id(raw_hold_id)
    key_header = headers.get(b"idempotency-key")
    key = calls.idempotency_key(None if key_header is None else key_header.decode("latin-1"))
    now = clock.now()
    if is_authorize:
        authorize = calls.parse_body(raw, AuthorizeRequest)
        terms = redemption_terms(**authorize.lookup())
        return await procedures.authorize(
            connections,
            _caller(headers, key, path, authorize),
            card_number=terms.card_number,
            refusal=terms.refusal,
            points=authorize.points,
            reference=authorize.receipt,
            now=now,
            expires_at=now + redemption.HOLD_LIFETIME,
        )
    assert hold_id is not None
    if action == "capture":
        capture = calls.parse_body(raw, CaptureRequest)
        caller = _caller(headers, key, path, capture)
        return await procedures.capture(connections, caller, hold_id=hold_id, points=capture.points, now=now)
    if action == "void":
        caller = _caller(headers, key, path, calls.parse_body(raw, VoidRequest))
        return await procedures.void(connections, caller, hold_id=hold_id, now=now)
    refund = calls.parse_body(raw, RefundRequest)
    caller = _caller(headers, key, path, refund)
    return await procedures.refund(connections, caller, hold_id=hold_id, points=refund.points, now=now)


async def _respond(
    send: Send, status: int, body: bytes, *, replayed: bool, retry_after: int | None = None
) -> None:
    headers = [_JSON, (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append(_REPLAYED)
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI, *, api_prefix: str) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Wiring hook: the fast path ahead of the app's routing, and the till's resources for the app's life."""
    app.add_middleware(TillFastPath, prefix=f"{api_prefix}/loyalty")
    return calls.resources
