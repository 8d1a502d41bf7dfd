"""Web push (RFC 8030) with VAPID (RFC 8292) and aes128gcm message encryption (RFC 8291, RFC 8188).

pywebpush's ``WebPusher.encode`` encrypts a payload for a subscription without sending anything, so it does
the RFC 8291 work here; its ``webpush()`` / ``webpush_async()`` are not used because they sign a new VAPID
token for every message (see :mod:`.vapid`). Posting goes through one :class:`.HttpPoster` whose connections
to a push service stay open across messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import get_args

from pywebpush import WebPusher

from lottocrm.messaging.channels.base import (
    InboundHandler,
    OutgoingMessage,
    SendResult,
    SubscriptionGone,
)
from lottocrm.messaging.channels.webpush.http_push import (
    HttpAnswer,
    HttpPoster,
    PostFailed,
    failed,
    retry_after_seconds,
    send_concurrently,
)
from lottocrm.messaging.channels.webpush.settings import Urgency, WebPushSettings, load_webpush_settings
from lottocrm.messaging.channels.webpush.subscription import (
    InvalidSubscription,
    Subscription,
    parse_subscription,
)
from lottocrm.messaging.channels.webpush.vapid import VapidTokens

_URGENCIES = set(get_args(Urgency))
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def push_payload(message: OutgoingMessage) -> bytes:
    """What the service worker's ``push`` event reads (``event.data.json()``) to show the notification."""
    return json.dumps(
        {
            "id": message.message_id,
            "title": message.subject or "",
            "body": message.body,
            "data": message.data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


class WebPushTransport:
    """``OutgoingMessage.to`` is the subscription JSON; ``headers`` may set ``TTL``, ``Urgency`` and ``Topic``
    for one message. ``provider_id`` is the push service's ``Location`` (the message's URL there)."""

    channel = "webpush"

    def __init__(self, *, settings: WebPushSettings | None = None) -> None:
        self._settings = settings or load_webpush_settings()
        self._tokens = VapidTokens(key=self._settings.vapid_key(), subject=self._settings.vapid_subject)
        self._poster: HttpPoster | None = None
        self._on_inbound: InboundHandler | None = None

    async def open(self, on_inbound: InboundHandler | None = None) -> None:
        self._on_inbound = on_inbound
        self._poster = HttpPoster(
            concurrency=self._settings.webpush_concurrency, timeout=self._settings.webpush_timeout_seconds
        )
        self._poster.open()

    async def close(self) -> None:
        if self._poster is not None:
            await self._poster.close()
            self._poster = None

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        if self._poster is None:
            raise RuntimeError("WebPushTransport.send_many before open()")
        return await send_concurrently(
            messages, concurrency=self._settings.webpush_concurrency, send_one=self._send_one
        )

    def _headers(self, message: OutgoingMessage, subscription: Subscription) -> dict[str, str]:
        extra = {name.lower(): value for name, value in message.headers.items()}
        ttl = extra.get("ttl", str(self._settings.webpush_ttl_seconds))
        urgency = extra.get("urgency", self._settings.webpush_urgency)
        if not (ttl.isascii() and ttl.isdigit()):
            raise ValueError(f"TTL {ttl!r} is not a number of seconds")
        if urgency not in _URGENCIES:
            raise ValueError(f"Urgency {urgency!r} is not one of {', '.join(sorted(_URGENCIES))}")
        headers = {
            "Authorization": self._tokens.authorization(subscription.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": ttl,
            "Urgency": urgency,
        }
        if "topic" in extra:
            if not _TOPIC.match(extra["topic"]):
                raise ValueError(
                    f"Topic {extra['topic']!r} is not 1–32 characters of base64url (RFC 8030 §5.4)"
                )
            headers["Topic"] = extra["topic"]
        return headers

    async def _send_one(self, message: OutgoingMessage) -> SendResult:
        assert self._poster is not None
        try:
            subscription = parse_subscription(message.to)
            headers = self._headers(message, subscription)
        except InvalidSubscription as exc:
            return failed(
                message, f"not a push subscription: {exc}", permanent=True, reason="invalid_address"
            )
        except ValueError as exc:
            return failed(message, str(exc), permanent=True, reason="invalid_message")
        body = WebPusher(subscription.as_pywebpush()).encode(push_payload(message), "aes128gcm")["body"]
        try:
            response = await self._poster.post(subscription.endpoint, data=body, headers=headers)
        except PostFailed as exc:
            return failed(message, f"push service unreachable: {exc}", permanent=False, reason="connection")
        if response.status in (200, 201, 202):
            return SendResult(message.message_id, provider_id=response.headers.get("Location"))
        return await self._refused(message, subscription, response)

    async def _refused(
        self, message: OutgoingMessage, subscription: Subscription, response: HttpAnswer
    ) -> SendResult:
        status = response.status
        said = f"push service answered {status}: {response.text()}".strip()
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if status in (404, 410):
            if self._on_inbound is not None:
                await self._on_inbound(SubscriptionGone(address=message.to))
            return failed(message, said, permanent=True, reason="gone")
        if status == 413:
            return failed(message, said, permanent=True, reason="too_large")
        if status == 429:
            return failed(message, said, permanent=False, reason="throttled", retry_after=retry_after)
        if status == 401:
            # Our token was refused (a clock ahead of the service's, a service that rotated): sign anew.
            self._tokens.forget(subscription.endpoint)
            return failed(message, said, permanent=False, reason="unauthorized")
        if status >= 500:
            return failed(message, said, permanent=False, reason="unavailable", retry_after=retry_after)
        # 400 (a header the service refuses), 403 (a subscription made for another VAPID key)...
        return failed(message, said, permanent=True, reason="rejected")
