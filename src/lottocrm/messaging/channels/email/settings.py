"""The SMTP channel's settings, read from ``LOTTOCRM_SMTP_*`` variables.

Built by :func:`load_smtp_settings` when a transport is made, never at import time, so a bad value fails the
command that sends mail with a message naming the variable.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lottocrm.settings import SettingsError

# The secret's value never appears in an error message, even when it is the bad one.
_SECRET_FIELDS = {"smtp_password"}


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOTTOCRM_", extra="ignore", frozen=True)

    smtp_host: str = Field(default="127.0.0.1", min_length=1)
    smtp_port: int = Field(default=25, ge=1, le=65_535)
    smtp_starttls: bool = Field(default=False, description="Upgrade with STARTTLS; refuse to send without it")
    smtp_implicit_tls: bool = Field(default=False, description="TLS from the first byte (port 465)")
    # A CA bundle to trust instead of the system's (a provider's private CA, or the sink's self-signed cert).
    smtp_ca_file: Path | None = None
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # Each connection carries one transaction at a time; providers cap connections per client, hence 16.
    smtp_connections: int = Field(default=8, ge=1, le=16)
    # Messages per second across all connections; 0: as fast as the server takes them.
    smtp_rate_per_second: float = Field(default=0.0, ge=0.0, le=100_000.0)
    smtp_timeout_seconds: float = Field(default=30.0, gt=0.0, le=600.0)
    # The envelope sender (MAIL FROM): where asynchronous bounces (DSNs) and complaints come back.
    smtp_bounce_address: str = "bounces@lottocrm.localhost"
    smtp_from: str = "Lottocrm <noreply@lottocrm.localhost>"
    # EHLO name and the right-hand side of our Message-IDs; default: the From address's domain.
    smtp_helo_name: str | None = None
    # The provider's message search by Message-ID (see gateways/mail_status.py for the shape): with it, a
    # message a killed sender left unsettled is looked up instead of left in doubt.
    smtp_status_url: str | None = None

    @field_validator("smtp_status_url")
    @classmethod
    def _status_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("must be an https URL (plain http only to this machine's local sink)")
        return value or None

    @field_validator("smtp_bounce_address")
    @classmethod
    def _bare_address(cls, value: str) -> str:
        if parseaddr(value)[1] != value.strip() or "@" not in value:
            raise ValueError("must be a bare e-mail address like bounces@example.com")
        return value.strip()

    @field_validator("smtp_from")
    @classmethod
    def _mailbox(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "@" not in address:
            raise ValueError('must be an address, optionally with a name: "Lotto <news@example.com>"')
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> SmtpSettings:
        if self.smtp_starttls and self.smtp_implicit_tls:
            raise ValueError(
                "LOTTOCRM_SMTP_STARTTLS and LOTTOCRM_SMTP_IMPLICIT_TLS exclude each other: "
                "STARTTLS upgrades a plain connection (port 587), implicit TLS starts encrypted (port 465)"
            )
        if (self.smtp_user is None) != (self.smtp_password is None):
            raise ValueError("LOTTOCRM_SMTP_USER and LOTTOCRM_SMTP_PASSWORD are set together or not at all")
        if self.smtp_ca_file is not None and not self.smtp_ca_file.is_file():
            raise ValueError(f"LOTTOCRM_SMTP_CA_FILE: no such file {self.smtp_ca_file}")
        return self

    @property
    def from_domain(self) -> str:
        return Address(addr_spec=parseaddr(self.smtp_from)[1]).domain

    @property
    def helo_name(self) -> str:
        return self.smtp_helo_name or self.from_domain

    @property
    def uses_tls(self) -> bool:
        return self.smtp_starttls or self.smtp_implicit_tls


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        if not field:
            lines.append(problem["msg"].removeprefix("Value error, "))
            continue
        given = problem.get("input")
        shown = "" if field in _SECRET_FIELDS or isinstance(given, dict) else f" (got {given!r})"
        lines.append(f"LOTTOCRM_{field.upper()}: {problem['msg']}{shown}")
    return "; ".join(lines)


def load_smtp_settings(**overrides: object) -> SmtpSettings:
    """Read ``LOTTOCRM_SMTP_*`` (and explicit overrides, by field name) or raise SettingsError."""
    try:
        return SmtpSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
