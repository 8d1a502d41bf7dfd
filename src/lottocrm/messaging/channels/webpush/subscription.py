"""A browser's push subscription, the ``to`` address of a web push message.

The page that subscribes sends us ``JSON.stringify(pushSubscription)``: ``{"endpoint": "https://…",
"expirationTime": null, "keys": {"p256dh": "<base64url>", "auth": "<base64url>"}}``. That text is what the
contact point stores and what the transport receives as ``OutgoingMessage.to``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class InvalidSubscription(ValueError):
    """A ``to`` address that is not a usable push subscription; the message says which part is wrong."""


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: bytes  # the browser's P-256 public key, uncompressed (65 bytes, 0x04 first)
    auth: bytes  # the browser's 16-byte authentication secret

    def as_pywebpush(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": _b64url(self.p256dh), "auth": _b64url(self.auth)},
        }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode_key(keys: dict[str, object], name: str, length: int) -> bytes:
    value = keys.get(name)
    if not isinstance(value, str):
        raise InvalidSubscription(f"the subscription has no keys.{name}")
    # The decoder skips characters outside the alphabet; a key with any of them is not the browser's.
    if not _BASE64URL.fullmatch(value):
        raise InvalidSubscription(f"keys.{name} is not base64url")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSubscription(f"keys.{name} is not base64url") from None
    if len(raw) != length:
        raise InvalidSubscription(f"keys.{name} is {len(raw)} bytes, expected {length}")
    return raw


def parse_subscription(text: str) -> Subscription:
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidSubscription("not JSON: expected the browser's PushSubscription as JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("endpoint"), str):
        raise InvalidSubscription("the subscription has no endpoint")
    endpoint = data["endpoint"]
    parts = urlsplit(endpoint)
    # Push services are HTTPS (RFC 8030 §8); plain HTTP is allowed only to a local endpoint on this machine.
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS)):
        raise InvalidSubscription(f"endpoint {endpoint!r} is not an https URL")
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise InvalidSubscription("the subscription has no keys (p256dh and auth)")
    p256dh = _decode_key(keys, "p256dh", 65)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        raise InvalidSubscription("keys.p256dh is not an uncompressed point on P-256") from None
    return Subscription(endpoint=endpoint, p256dh=p256dh, auth=_decode_key(keys, "auth", 16))
