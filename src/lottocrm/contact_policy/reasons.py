"""Why a message may not go: the reason codes, in the order the gate checks them, and which classes of
message each applies to. ``decide`` (Python, one player) and ``selection`` (SQL, millions) both follow this
order, so the first reason of one is the ``blocked_by`` of the other (a property test holds them to it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

MARKETING_ONLY = frozenset({"marketing"})
NOT_LEGAL = frozenset({"service", "marketing"})
EVERY_CLASS = frozenset({"legal", "service", "marketing"})

# code → the classes it stops. The order is the order of the checks.
CHECKS: dict[str, frozenset[str]] = {
    "player_not_active": NOT_LEGAL,
    "under_age": MARKETING_ONLY,
    "age_unknown": MARKETING_ONLY,
    "self_excluded": MARKETING_ONLY,
    "awaiting_return": MARKETING_ONLY,
    "timed_out": MARKETING_ONLY,
    "spend_limit_reached": MARKETING_ONLY,
    "no_personal_data_consent": MARKETING_ONLY,
    "consent_missing": MARKETING_ONLY,
    "consent_withdrawn": MARKETING_ONLY,
    "service_refused": frozenset({"service"}),
    "no_contact_point": EVERY_CLASS,
    "unreachable": EVERY_CLASS,
    "cap": NOT_LEGAL,
}
# Responsible gaming and age: no role, campaign or exemption lifts these.
HARD_STOPS = frozenset(
    {"under_age", "age_unknown", "self_excluded", "awaiting_return", "timed_out", "spend_limit_reached"}
)


# Reasons the contact history gives that are not checks of the gate: a message held for quiet hours, and the
# ends the dispatcher records (a message rendered at dispatch whose text could not be made: render_failed).
OTHER_REASONS = frozenset(
    {"quiet_hours", "contact_changed", "provider_refused", "outcome_unknown", "render_failed"}
)


def applies(code: str, message_class: str) -> bool:
    return message_class in CHECKS[code]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


@dataclass(frozen=True)
class Reason:
    """One failed check: its code and the facts behind it (dates as ISO strings, counts), JSON-ready for
    the contact history and turned into a sentence by the pages."""

    code: str
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, code: str, **detail: Any) -> Reason:
        if code not in CHECKS and code not in OTHER_REASONS:
            raise ValueError(f"unknown contact-policy reason {code!r}")
        return cls(code, {key: _plain(value) for key, value in detail.items() if value is not None})
