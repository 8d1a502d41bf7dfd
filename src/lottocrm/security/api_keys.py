"""Machine API keys: random, shown once, stored only as a hash, looked up by a public prefix.

Keys are 32 random bytes, so a fast SHA-256 is enough (a slow password hash protects guessable secrets,
not random ones) and keeps per-request authentication cheap for till traffic.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX_LENGTH = 8


@dataclass(frozen=True)
class NewApiKey:
    """The secret goes to the client once; the database keeps ``prefix`` and ``digest``."""

    secret: str
    prefix: str
    digest: str


def generate_api_key(kind: str) -> NewApiKey:
    """A key like ``lc_till_3fa9c2d1_<random>``; ``kind`` tells a leaked key's purpose at a glance."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = f"lc_{kind}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(secret=secret, prefix=prefix, digest=digest_api_key(secret))


def digest_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def key_prefix(secret: str) -> str | None:
    """The lookup prefix of a presented key, or None if it is not shaped like one of ours."""
    parts = secret.split("_")
    if len(parts) < 4 or parts[0] != "lc" or len(parts[2]) != PREFIX_LENGTH:
        return None
    return parts[2]


def api_key_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(digest_api_key(secret), digest)
