"""VAPID (RFC 8292): the key that identifies us to push services, and the signed token each push carries.

The ``Authorization: vapid t=<JWT>,k=<public key>`` header is the same for every push to one push service
(its ``aud`` claim is the service's origin), so it is signed once per origin and reused until shortly before
it expires: an ES256 signature per message was the bulk of the cost M4 measured (134 pushes/s on one thread
signing a new JWT and deriving a new ECDH key per message). RFC 8292 §2 lets a token live up to 24 hours.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from lottocrm import clock

TOKEN_LIFETIME_SECONDS = 12 * 3600
# A token is renewed this long before it expires, so one signed just before a long send never expires mid-way.
RENEW_BEFORE_SECONDS = 3600


class InvalidVapidKey(ValueError):
    """``LOTTOCRM_VAPID_PRIVATE_KEY`` names no usable P-256 private key."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_vapid_key(value: str) -> Vapid02:
    """A VAPID key from a PEM file's path, or from the key itself as base64url (raw 32 bytes or DER)."""
    text = value.strip()
    path = Path(text)
    try:
        if "-----BEGIN" not in text and len(text) < 4096 and path.is_file():
            text = path.read_text(encoding="ascii").strip()
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
            vapid = Vapid02(private_key=key)
        else:
            vapid = Vapid02.from_string(private_key=text)
    except (ValueError, TypeError, UnicodeError, OSError) as exc:
        raise InvalidVapidKey(
            "neither a readable PEM file nor a base64url private key "
            f"(generate one with lottocrm.messaging.channels.webpush.generate_vapid_keys): {exc}"
        ) from None
    if getattr(vapid.private_key, "curve", None) is None or vapid.private_key.curve.name != "secp256r1":
        raise InvalidVapidKey("VAPID keys are ECDSA P-256 (secp256r1) keys")
    return vapid


def application_server_key(vapid: Vapid02) -> str:
    """The public key as the browser's ``pushManager.subscribe({applicationServerKey})`` wants it."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(raw)


@dataclass(frozen=True)
class VapidKeyPair:
    private_key: str  # base64url of the raw 32-byte key: the value for LOTTOCRM_VAPID_PRIVATE_KEY
    private_pem: str  # the same key as a PEM file's content
    application_server_key: str  # base64url of the public key, for the web page that subscribes


def generate_vapid_keys() -> VapidKeyPair:
    """A new VAPID key pair (for a ``lottocrm`` command that prints it)."""
    vapid = Vapid02()
    vapid.generate_keys()
    raw_private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return VapidKeyPair(
        private_key=_b64url(raw_private),
        private_pem=vapid.private_pem().decode("ascii"),
        application_server_key=application_server_key(vapid),
    )


def push_service_origin(endpoint: str) -> str:
    """``https://push.example.com:8443`` for any endpoint URL on that service: the token's audience."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class _Token:
    header: str
    expires_at: int


class VapidTokens:
    """The ``Authorization`` header value per push-service origin, signed once per token lifetime."""

    def __init__(self, *, key: Vapid02, subject: str) -> None:
        self._key = key
        self._subject = subject
        self._tokens: dict[str, _Token] = {}

    def authorization(self, endpoint: str) -> str:
        origin = push_service_origin(endpoint)
        now = int(clock.now().timestamp())
        token = self._tokens.get(origin)
        if token is None or token.expires_at - RENEW_BEFORE_SECONDS <= now:
            expires_at = now + TOKEN_LIFETIME_SECONDS
            claims = {"aud": origin, "exp": expires_at, "sub": self._subject}
            token = _Token(header=self._key.sign(claims)["Authorization"], expires_at=expires_at)
            self._tokens[origin] = token
        return token.header

    def forget(self, endpoint: str) -> None:
        """Drop the token for this endpoint's service (it refused it): the next push signs a new one."""
        self._tokens.pop(push_service_origin(endpoint), None)
