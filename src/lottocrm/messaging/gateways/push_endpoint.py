"""A local push service on loopback: web push (RFC 8030) the way a browser vendor's service takes it, and the
FCM HTTP v1 ``messages:send`` API, for tests, the demo and benchmarks.

Web push: :meth:`PushEndpoint.new_subscription` plays the browser, returning the subscription JSON a page
would send us and keeping its private key; a push to it must carry a valid VAPID token for this origin
(``401`` otherwise, ``403`` when it was made for another application server key) and an aes128gcm body the
endpoint can decrypt (``400`` otherwise). It answers ``201`` with a ``Location``, ``410`` for a subscription
marked gone, ``413`` above 4 096 bytes, and ``429`` with ``Retry-After`` when told to throttle.

FCM: ``POST /v1/projects/<project>/messages:send`` with the configured bearer token; a token from
:meth:`PushEndpoint.new_fcm_token` gets ``{"name": ...}``, one marked gone gets ``404 UNREGISTERED``, one it
never issued ``400 INVALID_ARGUMENT``.

Every push accepted is kept (``pushes``, ``fcm_messages``) and passed to ``on_received``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import inspect
import itertools
import json
import re
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import http_ece
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import jwt as vapid_jwt

from lottocrm import clock

MAX_PUSH_BYTES = 4096  # the payload size every push service must accept (RFC 8030 §7.2), and ours at most
_WEB_PUSH_PATH = re.compile(r"^/push/([A-Za-z0-9_-]+)$")
_FCM_PATH = re.compile(r"^/v1/projects/([a-z0-9-]+)/messages:send$")
VAPID_MAX_LIFETIME_SECONDS = 24 * 3600  # RFC 8292 §2: "no more than 24 hours from the time of the request"
# Data keys FCM reserves for itself.
_RESERVED_DATA_KEY = re.compile(r"^(from|message_type|google.*|gcm.*)$")


class PushRefused(Exception):
    """A request the push service refuses with ``status``; the text is the response body."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


@dataclass(frozen=True)
class ReceivedPush:
    endpoint: str
    payload: bytes  # decrypted
    ttl: int
    urgency: str | None
    topic: str | None
    vapid_subject: str
    received_at: dt.datetime

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass(frozen=True)
class ReceivedFcm:
    project: str
    token: str
    message: dict[str, Any] = field(hash=False)
    received_at: dt.datetime = field(default_factory=clock.now)


OnReceivedPush = Callable[[ReceivedPush | ReceivedFcm], Awaitable[None] | None]


@dataclass
class _Browser:
    """What a browser keeps for one subscription: the private half of p256dh, the auth secret."""

    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: str | None


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class PushEndpoint:
    """``await endpoint.start()`` serves on ``endpoint.base_url`` (``port`` 0: ephemeral); ``stop()``."""

    def __init__(
        self,
        *,
        on_received: OnReceivedPush | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        fcm_access_token: str = "local-fcm-access-token",
        keep_received: bool = True,
        accept_any_fcm_token: bool = False,
    ) -> None:
        """``accept_any_fcm_token``: take every FCM token not marked gone, as a sandbox for simulated app
        installs whose tokens were never registered here; tests leave it off to see INVALID_ARGUMENT."""
        self.host = host
        self.port = port
        self.fcm_access_token = fcm_access_token
        self.pushes: list[ReceivedPush] = []
        self.fcm_messages: list[ReceivedFcm] = []
        self.accepted_count = 0
        self._on_received = on_received
        self._keep_received = keep_received
        self._browsers: dict[str, _Browser] = {}
        self._gone: set[str] = set()
        self._fcm_tokens: set[str] = set()
        self._fcm_gone: set[str] = set()
        self._accept_any_fcm_token = accept_any_fcm_token
        self._throttle = {"webpush": 0, "fcm": 0}
        self._retry_after = {"webpush": 30, "fcm": 30}
        self._numbers = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def fcm_endpoint(self) -> str:
        """The value for ``LOTTOCRM_FCM_ENDPOINT`` ({project} left for the transport to fill in)."""
        return f"{self.base_url}/v1/projects/{{project}}/messages:send"

    async def start(self) -> None:
        # IPPROTO_TCP named: asyncio turns Nagle's algorithm off only on sockets that say they are TCP, and
        # with it on every response waited ~40 ms for the client's delayed ACK (23 requests/s a connection).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        # log_config None: uvicorn leaves the process's logging configuration alone.
        config = uvicorn.Config(
            self._asgi,
            interface="asgi3",  # a bound method: uvicorn's guess would take it for ASGI 2
            log_config=None,
            access_log=False,
            proxy_headers=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it could not start
                raise RuntimeError("the push endpoint stopped before it started")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None

    # What tests and the demo set up.

    def new_subscription(self, *, application_server_key: str | None = None) -> dict[str, Any]:
        """A browser's ``PushSubscription.toJSON()`` for a new subscription on this endpoint (once started).

        ``application_server_key``: the VAPID public key the page subscribed with; pushes signed with another
        key are then refused (403), as browsers' push services do."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        public = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        auth = secrets.token_bytes(16)
        name = secrets.token_urlsafe(16)
        self._browsers[name] = _Browser(private_key, auth, application_server_key)
        return {
            "endpoint": f"{self.base_url}/push/{name}",
            "expirationTime": None,
            "keys": {"p256dh": _b64url(public), "auth": _b64url(auth)},
        }

    def mark_gone(self, subscription: Mapping[str, Any] | str) -> None:
        """From now on this subscription answers 410 Gone (the player unsubscribed in the browser)."""
        endpoint = subscription if isinstance(subscription, str) else subscription["endpoint"]
        self._gone.add(endpoint.rsplit("/", 1)[-1])

    def new_fcm_token(self) -> str:
        token = secrets.token_urlsafe(24) + ":APA91b" + secrets.token_urlsafe(48)
        self._fcm_tokens.add(token)
        return token

    def mark_token_gone(self, token: str) -> None:
        """From now on FCM answers UNREGISTERED for this token (the app was uninstalled)."""
        self._fcm_gone.add(token)

    def throttle(self, *, requests: int, retry_after: int = 30, service: str = "webpush") -> None:
        """Answer the next ``requests`` requests to ``service`` ("webpush" or "fcm") with 429."""
        self._throttle[service] = requests
        self._retry_after[service] = retry_after

    # The HTTP side.

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            event = await receive()
            chunks.append(event.get("body", b""))
            if not event.get("more_body"):
                break
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        answer = await self._route(scope["method"], scope["path"], headers, b"".join(chunks))
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(name.encode(), value.encode()) for name, value in answer.headers],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})

    async def _route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Answer:
        if method != "POST":
            return _Answer(405, b"POST only")
        if found := _WEB_PUSH_PATH.match(path):
            return await self._web_push(found.group(1), headers, body)
        if found := _FCM_PATH.match(path):
            return await self._fcm(found.group(1), headers, body)
        return _Answer(404, b"no such push resource")

    def _throttled(self, service: str) -> _Answer | None:
        if self._throttle[service] <= 0:
            return None
        self._throttle[service] -= 1
        return _Answer(429, b"slow down", (("Retry-After", str(self._retry_after[service])),))

    async def _web_push(self, name: str, headers: dict[str, str], body: bytes) -> _Answer:
        browser = self._browsers.get(name)
        if browser is None:
            return _Answer(404, b"no such subscription")
        if name in self._gone:
            return _Answer(410, b"subscription expired or unsubscribed")
        if (throttled := self._throttled("webpush")) is not None:
            return throttled
        try:
            subject = _check_vapid(
                headers.get("authorization", ""),
                audience=self.base_url,
                application_server_key=browser.application_server_key,
            )
            ttl, urgency, topic = _web_push_headers(headers)
        except PushRefused as refused:
            return _Answer(refused.status, str(refused).encode())
        if len(body) > MAX_PUSH_BYTES:
            return _Answer(413, f"payload over {MAX_PUSH_BYTES} bytes".encode())
        try:
            payload = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
        except http_ece.ECEException as exc:
            return _Answer(400, f"cannot decrypt the payload: {exc.message}".encode())
        number = next(self._numbers)
        await self._accept(
            ReceivedPush(
                endpoint=f"{self.base_url}/push/{name}",
                payload=payload,
                ttl=ttl,
                urgency=urgency,
                topic=topic,
                vapid_subject=subject,
                received_at=clock.now(),
            )
        )
        return _Answer(201, b"", (("Location", f"{self.base_url}/message/{number}"),))

    async def _fcm(self, project: str, headers: dict[str, str], body: bytes) -> _Answer:
        if headers.get("authorization") != f"Bearer {self.fcm_access_token}":
            return _fcm_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if (throttled := self._throttled("fcm")) is not None:
            return _fcm_error(
                429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "QUOTA_EXCEEDED", throttled.headers
            )
        try:
            message = _check_fcm_message(body)
        except PushRefused as refused:
            return _fcm_error(400, "INVALID_ARGUMENT", str(refused), "INVALID_ARGUMENT")
        token = message["token"]
        if token in self._fcm_gone:
            return _fcm_error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        if token not in self._fcm_tokens and not self._accept_any_fcm_token:
            return _fcm_error(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                "INVALID_ARGUMENT",
            )
        number = next(self._numbers)
        await self._accept(ReceivedFcm(project=project, token=token, message=message))
        name = f"projects/{project}/messages/0:{number}"
        return _Answer(200, json.dumps({"name": name}).encode(), (("Content-Type", "application/json"),))

    async def _accept(self, received: ReceivedPush | ReceivedFcm) -> None:
        self.accepted_count += 1
        if self._keep_received and isinstance(received, ReceivedPush):
            self.pushes.append(received)
        elif self._keep_received:
            self.fcm_messages.append(received)
        if self._on_received is not None:
            outcome = self._on_received(received)
            if inspect.isawaitable(outcome):
                await outcome


def _web_push_headers(headers: dict[str, str]) -> tuple[int, str | None, str | None]:
    """TTL (required, RFC 8030 §5.2), Urgency (§5.3), Topic (§5.4); and the one content encoding we take."""
    ttl = headers.get("ttl", "")
    if not (ttl.isascii() and ttl.isdigit()):
        raise PushRefused(400, "a TTL header (seconds) is required")
    urgency = headers.get("urgency")
    if urgency is not None and urgency not in {"very-low", "low", "normal", "high"}:
        raise PushRefused(400, f"unknown Urgency {urgency!r}")
    if headers.get("content-encoding") != "aes128gcm":
        raise PushRefused(400, "Content-Encoding must be aes128gcm (RFC 8291)")
    return int(ttl), urgency, headers.get("topic")


def _fcm_error(
    status: int,
    state: str,
    text: str,
    error_code: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> _Answer:
    error: dict[str, Any] = {"code": status, "message": text, "status": state}
    if error_code:
        error["details"] = [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}
        ]
    return _Answer(
        status, json.dumps({"error": error}).encode(), (("Content-Type", "application/json"), *headers)
    )


def _check_vapid(authorization: str, *, audience: str, application_server_key: str | None) -> str:
    """The VAPID token's ``sub`` when ``Authorization: vapid t=<JWT>,k=<key>`` is valid for ``audience``."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise PushRefused(401, "Authorization must be 'vapid t=<JWT>, k=<public key>' (RFC 8292 §3)")
    fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
    token, key = fields.get("t", ""), fields.get("k", "")
    if not token or not key:
        raise PushRefused(401, "the vapid Authorization lacks t (the token) or k (the public key)")
    try:
        claims = vapid_jwt.decode(token, key)
    except InvalidSignature:
        raise PushRefused(401, "the VAPID token's signature does not verify with k") from None
    if claims.get("aud") != audience:
        raise PushRefused(401, f"the VAPID token is for {claims.get('aud')!r}, not for {audience!r}")
    expires, now = claims.get("exp"), clock.now().timestamp()
    if not isinstance(expires, int) or expires <= now:
        raise PushRefused(401, "the VAPID token has expired (or has no exp)")
    if expires > now + VAPID_MAX_LIFETIME_SECONDS:
        raise PushRefused(401, "the VAPID token's exp is more than 24 hours away")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.startswith(("mailto:", "https:")):
        raise PushRefused(401, "the VAPID token's sub must be a mailto: or https: contact")
    if application_server_key is not None and key != application_server_key:
        raise PushRefused(403, "this subscription was made for another application server key")
    return subject


def _check_fcm_message(body: bytes) -> dict[str, Any]:
    """The ``message`` of an FCM v1 send request, checked as FCM checks it, or PushRefused(400)."""
    try:
        request = json.loads(body)
    except ValueError:
        raise PushRefused(400, "the body is not JSON") from None
    message = request.get("message") if isinstance(request, dict) else None
    if not isinstance(message, dict):
        raise PushRefused(400, "the request has no message object")
    targets = [name for name in ("token", "topic", "condition") if name in message]
    if targets != ["token"] or not isinstance(message["token"], str):
        raise PushRefused(400, "a message names exactly one target, and this endpoint delivers to a token")
    notification = message.get("notification", {})
    if not isinstance(notification, dict) or not all(isinstance(v, str) for v in notification.values()):
        raise PushRefused(400, "notification must be an object of strings (title, body)")
    data = message.get("data", {})
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise PushRefused(400, "data values must be strings")
    if reserved := sorted(key for key in data if _RESERVED_DATA_KEY.match(key)):
        raise PushRefused(400, f"data keys {reserved} are reserved")
    android = message.get("android", {})
    if not isinstance(android, dict) or android.get("priority", "NORMAL") not in {"NORMAL", "HIGH"}:
        raise PushRefused(400, "android.priority must be NORMAL or HIGH")
    if "ttl" in android and not re.fullmatch(r"\d+(\.\d{1,9})?s", str(android["ttl"])):
        raise PushRefused(400, "android.ttl must be a duration like '3600s'")
    return message
