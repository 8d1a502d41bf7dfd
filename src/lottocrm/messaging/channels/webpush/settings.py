"""The web push channel's settings, read from ``LOTTOCRM_VAPID_*`` and ``LOTTOCRM_WEBPUSH_*`` variables."""

from __future__ import annotations

import re
from typing import Literal

from py_vapid import Vapid02
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lottocrm.messaging.channels.webpush.vapid import InvalidVapidKey, load_vapid_key
from lottocrm.settings import SettingsError

Urgency = Literal["very-low", "low", "normal", "high"]
_SECRET_FIELDS = frozenset({"vapid_private_key"})


class WebPushSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOTTOCRM_", extra="ignore", frozen=True)

    # A PEM file's path, or the key as base64url (see generate_vapid_keys).
    vapid_private_key: SecretStr
    # Who the push service may contact about our traffic (RFC 8292 §2.1): mailto: or an https URL.
    vapid_subject: str = "mailto:push@lottocrm.localhost"
    # How long a push service keeps a message for a browser that is offline (RFC 8030 §5.2); 0: now or never.
    webpush_ttl_seconds: int = Field(default=86_400, ge=0, le=2_419_200)
    webpush_urgency: Urgency = "normal"
    # Requests in flight at once over the one HTTP client.
    webpush_concurrency: int = Field(default=64, ge=1, le=1024)
    webpush_timeout_seconds: float = Field(default=30.0, gt=0.0, le=600.0)

    @field_validator("vapid_private_key")
    @classmethod
    def _usable_key(cls, value: SecretStr) -> SecretStr:
        try:
            load_vapid_key(value.get_secret_value())
        except InvalidVapidKey as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("vapid_subject")
    @classmethod
    def _contact(cls, value: str) -> str:
        if not re.fullmatch(r"mailto:[^@\s]+@[^@\s]+|https://\S+", value.strip()):
            raise ValueError("must be mailto:someone@example.com or an https:// URL (RFC 8292 §2.1)")
        return value.strip()

    def vapid_key(self) -> Vapid02:
        return load_vapid_key(self.vapid_private_key.get_secret_value())


def describe_settings_error(error: ValidationError, *, secret_fields: frozenset[str]) -> str:
    """One line per bad variable, naming it; a secret's value is never repeated."""
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "missing":
            lines.append(f"LOTTOCRM_{field.upper()} is not set")
            continue
        given = problem.get("input")
        # A whole-model problem's input is every setting, secrets included: never shown.
        shown = "" if field in secret_fields or isinstance(given, dict) else f" (got {given!r})"
        lines.append(f"LOTTOCRM_{field.upper()}: {problem['msg'].removeprefix('Value error, ')}{shown}")
    return "; ".join(lines)


def load_webpush_settings(**overrides: object) -> WebPushSettings:
    """Read the web push variables (and explicit overrides, by field name) or raise SettingsError."""
    try:
        return WebPushSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_settings_error(exc, secret_fields=_SECRET_FIELDS)) from None
