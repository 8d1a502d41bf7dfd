"""The policy as an admin edits it: a grid of caps (channel × window, per player; per contact point for
SMS and e-mail) and sending hours per channel and class, read from and written back to a form.

A blank cell is "no cap" or "no quiet hours"; anything else must be a whole number or an HH:MM range, and
a wrong cell is refused with its place named ("SMS, 7 days: not a whole number").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from lottocrm.contact_policy.document import CapRule, Hours, PolicySettings, QuietRule
from lottocrm.contact_policy.errors import ContactPolicyError
from lottocrm.errors import Term

CAP_CHANNELS = ("sms", "email", "push", "call", "web", "all")
POINT_CAP_CHANNELS = ("sms", "email")
WINDOWS = ("24h", "7d", "30d")
QUIET_CHANNELS = ("sms", "email", "push", "call", "all")
QUIET_CLASSES = ("marketing", "service")


@dataclass(frozen=True)
class Grid:
    """The form's cells, keyed by their field names."""

    values: dict[str, str]


def cap_field(per: str, channel: str, window: str) -> str:
    return f"cap.{per}.{channel}.{window}"


def hours_field(channel: str, message_class: str, days: str) -> str:
    return f"hours.{channel}.{message_class}.{days}"


def to_grid(policy: PolicySettings) -> Grid:
    values: dict[str, str] = {}
    for rule in policy.caps:
        values[cap_field(rule.per, rule.channel, rule.window)] = str(rule.limit)
    for quiet in policy.quiet_hours:
        for days, hours in (("working", quiet.working_days), ("off", quiet.days_off)):
            values[hours_field(quiet.channel, quiet.message_class, days)] = (
                f"{hours.start:%H:%M}-{hours.end:%H:%M}"
            )
    values["spread"] = str(policy.release_spread_minutes)
    return Grid(values)


Place = tuple[Term, ...]


def _limit(text: str, place: Place) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise ContactPolicyError("%(place)s: a cap is a whole number from 1 to 1000", place=place)
    return int(text)


def _hours(text: str, place: Place) -> Hours | None:
    text = text.strip().replace("–", "-")
    if not text:
        return None
    start, separator, end = text.partition("-")
    try:
        if not separator:
            raise ValueError(text)
        return Hours(start=dt.time.fromisoformat(start.strip()), end=dt.time.fromisoformat(end.strip()))
    except (ValueError, ValidationError):
        raise ContactPolicyError(
            "%(place)s: sending hours are written 09:00-21:00, the start before the end", place=place
        ) from None


def from_form(form: Mapping[str, str]) -> PolicySettings:
    caps: list[CapRule] = []
    for per, channels in (("player", CAP_CHANNELS), ("contact_point", POINT_CAP_CHANNELS)):
        for channel in channels:
            for window in WINDOWS:
                name = cap_field(per, channel, window)
                limit = _limit(form.get(name, ""), (Term(channel), Term(per), Term(window)))
                if limit is not None:
                    caps.append(CapRule(channel=channel, per=per, window=window, limit=limit))  # type: ignore[arg-type]
    quiet: list[QuietRule] = []
    for channel in QUIET_CHANNELS:
        for message_class in QUIET_CLASSES:
            place = (Term(channel), Term(message_class))
            working_place, off_place = (*place, Term("working days")), (*place, Term("days off"))
            working = _hours(form.get(hours_field(channel, message_class, "working"), ""), working_place)
            off = _hours(form.get(hours_field(channel, message_class, "off"), ""), off_place)
            if (working is None) != (off is None):
                raise ContactPolicyError(
                    "%(place)s: give sending hours for working days and days off, or neither", place=place
                )
            if working is not None and off is not None:
                rule = QuietRule(
                    channel=channel, message_class=message_class, working_days=working, days_off=off
                )  # type: ignore[arg-type]
                quiet.append(rule)
    spread = form.get("spread", "60").strip()
    if not spread.isdigit() or int(spread) > 240:
        raise ContactPolicyError("the release spread is a whole number of minutes from 0 to 240")
    return PolicySettings(caps=tuple(caps), quiet_hours=tuple(quiet), release_spread_minutes=int(spread))
