"""Password hashing (argon2id via pwdlib) and the rules a new password must meet."""

from __future__ import annotations

import secrets
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a miss costs the same time as a wrong password.

    Made at the first sign-in rather than at import: a hash costs ~0.2 s, which every CLI command paid.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


MIN_LENGTH = 10
MAX_LENGTH = 256


class WeakPasswordError(ValueError):
    pass


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"password must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"password must be at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _dummy_hash())
        return False
    return _hasher.verify(password, password_hash)


def generate_password() -> str:
    return secrets.token_urlsafe(12)
