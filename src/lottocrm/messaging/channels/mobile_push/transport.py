"""Mobile push through Firebase Cloud Messaging's HTTP v1 API (to Android, and to iOS through FCM).

FCM answers errors as Google APIs do, ``{"error": {"code", "status", "message", "details": [{"@type":
"type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}}``; the FCM error code,
when present, is more precise than the HTTP status and decides.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from lottocrm.messaging.channels.base import (
    InboundHandler,
    OutgoingMessage,
    SendResult,
    SubscriptionGone,
)
from lottocrm.messaging.channels.mobile_push.message import fcm_request
from lottocrm.messaging.channels.mobile_push.settings import FcmSettings, load_fcm_settings
from lottocrm.messaging.channels.webpush.http_push import (
    HttpAnswer,
    HttpPoster,
    PostFailed,
    failed,
    retry_after_seconds,
    send_concurrently,
)

_JSON = {"Content-Type": "application/json; charset=utf-8"}
_FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
# FCM error code → (permanent, reason). https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode
_FCM_ERRORS = {
    "UNREGISTERED": (True, "gone"),  # the app was uninstalled or the token expired
    "INVALID_ARGUMENT": (True, "rejected"),  # a malformed token or message: sending it again cannot help
    "SENDER_ID_MISMATCH": (True, "rejected"),  # the token belongs to another Firebase project
    "QUOTA_EXCEEDED": (False, "throttled"),
    "UNAVAILABLE": (False, "unavailable"),
    "INTERNAL": (False, "unavailable"),
    "THIRD_PARTY_AUTH_ERROR": (False, "unauthorized"),  # APNs refused the project's certificate or key
}


class FcmTransport:
    """``OutgoingMessage.to`` is the app's FCM registration token. ``provider_id`` is FCM's message name
    (``projects/<project>/messages/<id>``)."""

    channel = "mobile_push"

    def __init__(self, *, settings: FcmSettings | None = None) -> None:
        self._settings = settings or load_fcm_settings()
        self._poster: HttpPoster | None = None
        self._on_inbound: InboundHandler | None = None

    async def open(self, on_inbound: InboundHandler | None = None) -> None:
        self._on_inbound = on_inbound
        self._poster = HttpPoster(
            concurrency=self._settings.fcm_concurrency,
            timeout=self._settings.fcm_timeout_seconds,
            headers={"Authorization": f"Bearer {self._settings.fcm_access_token.get_secret_value()}"},
        )
        self._poster.open()

    async def close(self) -> None:
        if self._poster is not None:
            await self._poster.close()
            self._poster = None

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        if self._poster is None:
            raise RuntimeError("FcmTransport.send_many before open()")
        return await send_concurrently(
            messages, concurrency=self._settings.fcm_concurrency, send_one=self._send_one
        )

    async def _send_one(self, message: OutgoingMessage) -> SendResult:
        assert self._poster is not None
        if not message.to.strip():
            return failed(message, "no FCM registration token", permanent=True, reason="invalid_address")
        body = fcm_request(
            message, ttl_seconds=self._settings.fcm_ttl_seconds, priority=self._settings.fcm_android_priority
        )
        try:
            response = await self._poster.post(
                self._settings.send_url, data=json.dumps(body).encode("utf-8"), headers=_JSON
            )
        except PostFailed as exc:
            return failed(message, f"FCM unreachable: {exc}", permanent=False, reason="connection")
        if response.status == 200:
            name = response.json().get("name")
            return SendResult(message.message_id, provider_id=name if isinstance(name, str) else None)
        return await self._refused(message, response)

    async def _refused(self, message: OutgoingMessage, response: HttpAnswer) -> SendResult:
        status = response.status
        error = response.json().get("error")
        error = error if isinstance(error, dict) else {}
        code = _fcm_error_code(error) or str(error.get("status") or "")
        said = f"FCM answered {status} {code}: {error.get('message') or response.text()}"
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if code in _FCM_ERRORS:
            permanent, reason = _FCM_ERRORS[code]
        elif status == 404:
            permanent, reason = True, "gone"
        elif status == 429:
            permanent, reason = False, "throttled"
        elif status == 401:
            permanent, reason = False, "unauthorized"
            said += " (the bearer token in LOTTOCRM_FCM_ACCESS_TOKEN is refused; tokens live one hour)"
        elif status >= 500:
            permanent, reason = False, "unavailable"
        else:
            permanent, reason = True, "rejected"
        if reason == "gone" and self._on_inbound is not None:
            await self._on_inbound(SubscriptionGone(address=message.to))
        return failed(
            message, said, permanent=permanent, reason=reason, retry_after=None if permanent else retry_after
        )


def _fcm_error_code(error: dict[str, object]) -> str | None:
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("@type") == _FCM_ERROR_TYPE:
            code = detail.get("errorCode")
            return code if isinstance(code, str) else None
    return None
