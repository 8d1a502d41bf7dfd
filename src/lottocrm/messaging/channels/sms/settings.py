"""The SMPP provider's settings, from ``LOTTOCRM_SMPP_*`` and ``LOTTOCRM_SMS_MAX_PARTS``.

Read by :func:`smpp_settings_from_env` when a transport is built, never at import time, so a bad value
fails the command that sends, with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from lottocrm.messaging.sms_text import DEFAULT_MAX_PARTS, MAX_PARTS_POSSIBLE


class SmsSettingsError(ValueError):
    """A ``LOTTOCRM_SMPP_*`` / ``LOTTOCRM_SMS_*`` variable holds a value we cannot use."""


@dataclass(frozen=True)
class SmppSettings:
    host: str
    port: int
    system_id: str
    password: str
    source_addr: str
    # submit_sm PDUs in flight per bind, waiting for their submit_sm_resp.
    window: int = 64
    binds: int = 1
    # submit_sm PDUs per second for the whole transport; None: as fast as the window allows.
    tps: float | None = None
    tls: bool = False
    max_parts: int = DEFAULT_MAX_PARTS
    # How long open() waits for the bind_resp. smpp34 reports a refused bind only as a timeout.
    bind_timeout: float = 10.0
    # Re-bind attempts after a lost connection before send_many gives up.
    rebind_attempts: int = 5

    def __post_init__(self) -> None:
        _check(bool(self.host), "LOTTOCRM_SMPP_HOST", "must name the SMSC's host")
        _check(0 < self.port < 65536, "LOTTOCRM_SMPP_PORT", f"must be a TCP port (1–65535), got {self.port}")
        # SMPP 3.4 C-octet strings: system_id 16 and password 9 octets with the terminating NUL.
        _check(
            0 < len(self.system_id.encode()) <= 15,
            "LOTTOCRM_SMPP_SYSTEM_ID",
            "must be 1–15 characters (SMPP 3.4 limit)",
        )
        _check(len(self.password.encode()) <= 8, "LOTTOCRM_SMPP_PASSWORD", "must be at most 8 characters")
        _check(
            0 < len(self.source_addr) <= 20,
            "LOTTOCRM_SMPP_SOURCE_ADDR",
            "must be the sender name or number (1–20 characters)",
        )
        _check(1 <= self.window <= 1024, "LOTTOCRM_SMPP_WINDOW", f"must be 1–1024, got {self.window}")
        _check(1 <= self.binds <= 32, "LOTTOCRM_SMPP_BINDS", f"must be 1–32, got {self.binds}")
        _check(self.tps is None or self.tps > 0, "LOTTOCRM_SMPP_TPS", f"must be positive, got {self.tps}")
        _check(
            1 <= self.max_parts <= MAX_PARTS_POSSIBLE,
            "LOTTOCRM_SMS_MAX_PARTS",
            f"must be 1–{MAX_PARTS_POSSIBLE}, got {self.max_parts}",
        )
        _check(self.bind_timeout > 0, "LOTTOCRM_SMPP_BIND_TIMEOUT", "must be positive (seconds)")
        _check(self.rebind_attempts >= 0, "LOTTOCRM_SMPP_REBIND_ATTEMPTS", "must be 0 or more")


def _check(ok: bool, variable: str, problem: str) -> None:
    if not ok:
        raise SmsSettingsError(f"{variable} {problem}")


def _number(env: Mapping[str, str], variable: str, kind: type[int] | type[float]) -> int | float | None:
    raw = env.get(variable, "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise SmsSettingsError(f"{variable} must be {noun}, got {raw!r}") from None


def _flag(env: Mapping[str, str], variable: str) -> bool:
    raw = env.get(variable, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SmsSettingsError(f"{variable} must be true or false, got {raw!r}")


def sms_max_parts_from_env(env: Mapping[str, str] | None = None) -> int:
    """``LOTTOCRM_SMS_MAX_PARTS`` alone, for code that measures texts without sending them (the template
    editor warns about a text the transport would refuse)."""
    value = _number(os.environ if env is None else env, "LOTTOCRM_SMS_MAX_PARTS", int)
    max_parts = DEFAULT_MAX_PARTS if value is None else int(value)
    _check(
        1 <= max_parts <= MAX_PARTS_POSSIBLE,
        "LOTTOCRM_SMS_MAX_PARTS",
        f"must be 1–{MAX_PARTS_POSSIBLE}, got {max_parts}",
    )
    return max_parts


def smpp_settings_from_env(env: Mapping[str, str] | None = None) -> SmppSettings:
    """The settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    missing = [
        name
        for name in ("LOTTOCRM_SMPP_HOST", "LOTTOCRM_SMPP_SYSTEM_ID", "LOTTOCRM_SMPP_SOURCE_ADDR")
        if not env.get(name, "").strip()
    ]
    if missing:
        raise SmsSettingsError(f"set {', '.join(missing)} to send SMS over SMPP")
    optional: dict[str, object] = {}
    for field, variable, kind in (
        ("port", "LOTTOCRM_SMPP_PORT", int),
        ("window", "LOTTOCRM_SMPP_WINDOW", int),
        ("binds", "LOTTOCRM_SMPP_BINDS", int),
        ("tps", "LOTTOCRM_SMPP_TPS", float),
        ("max_parts", "LOTTOCRM_SMS_MAX_PARTS", int),
        ("bind_timeout", "LOTTOCRM_SMPP_BIND_TIMEOUT", float),
        ("rebind_attempts", "LOTTOCRM_SMPP_REBIND_ATTEMPTS", int),
    ):
        value = _number(env, variable, kind)
        if value is not None:
            optional[field] = value
    return SmppSettings(
        host=env["LOTTOCRM_SMPP_HOST"].strip(),
        port=int(optional.pop("port", 2775)),  # type: ignore[call-overload]
        system_id=env["LOTTOCRM_SMPP_SYSTEM_ID"].strip(),
        password=env.get("LOTTOCRM_SMPP_PASSWORD", ""),
        source_addr=env["LOTTOCRM_SMPP_SOURCE_ADDR"].strip(),
        tls=_flag(env, "LOTTOCRM_SMPP_TLS"),
        **optional,  # type: ignore[arg-type]
    )
