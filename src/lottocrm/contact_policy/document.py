"""The policy's settings as a typed document: caps and quiet hours. Stored as data (one JSON document per
version, ``models.PolicyVersion``), edited by an admin, validated here on the way in and on the way out.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lottocrm import vocab

CHANNELS = vocab.CONSENT_CHANNELS
MessageClass = Literal["legal", "service", "marketing"]
CapChannel = Literal["sms", "email", "push", "call", "web", "all"]
Window = Literal["24h", "7d", "30d"]
WINDOWS: dict[str, dt.timedelta] = {
    "24h": dt.timedelta(hours=24),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
}
LONGEST_WINDOW = max(WINDOWS.values())


class CapRule(BaseModel):
    """At most ``limit`` counted messages on ``channel`` ("all": every channel together) in the rolling
    ``window`` before a send, per player or per contact point (one phone shared by two players counts once
    for both)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: CapChannel
    per: Literal["player", "contact_point"] = "player"
    window: Window
    limit: int = Field(ge=1, le=1000)


class Hours(BaseModel):
    """Hours of the day when messages may arrive, [start, end) on the player's wall clock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        if self.start >= self.end:
            raise ValueError(f"sending hours must start before they end: {self.start:%H:%M}–{self.end:%H:%M}")
        return self


class QuietRule(BaseModel):
    """When ``message_class`` messages on ``channel`` may arrive: on working days and on days off (weekends
    and public holidays of the production calendar). Outside those hours they are held."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: CapChannel
    message_class: MessageClass
    working_days: Hours
    days_off: Hours


class PolicySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    caps: tuple[CapRule, ...]
    # Classes the caps count and limit. Legal notices are never capped.
    capped_classes: tuple[Literal["service", "marketing"], ...] = ("marketing",)
    quiet_hours: tuple[QuietRule, ...]
    # Held messages are released over this many minutes after the quiet time ends, not all at its first
    # second: a 09:00 burst of 500 000 SMS would queue at the operator and wake nobody more kindly.
    release_spread_minutes: int = Field(default=60, ge=0, le=240)

    @field_validator("quiet_hours")
    @classmethod
    def _one_rule_each(cls, rules: tuple[QuietRule, ...]) -> tuple[QuietRule, ...]:
        seen: set[tuple[str, str]] = set()
        for rule in rules:
            key = (rule.channel, rule.message_class)
            if key in seen:
                raise ValueError(f"two quiet-hour rules for {rule.channel} {rule.message_class} messages")
            seen.add(key)
        return rules

    def quiet_rule(self, channel: str, message_class: str) -> QuietRule | None:
        """The rule for exactly this channel, else the one for all channels, else none."""
        best = None
        for rule in self.quiet_hours:
            if rule.message_class != message_class:
                continue
            if rule.channel == channel:
                return rule
            if rule.channel == "all":
                best = rule
        return best

    def caps_for(self, channel: str, message_class: str) -> tuple[CapRule, ...]:
        if message_class not in self.capped_classes:
            return ()
        return tuple(rule for rule in self.caps if rule.channel in (channel, "all"))


def _hours(start: str, end: str) -> Hours:
    return Hours(start=dt.time.fromisoformat(start), end=dt.time.fromisoformat(end))


# What a new installation runs under until an admin saves a policy (version 0): marketing by SMS at most
# one a day and three a week, e-mail three a week, push two a day, one call a month, six messages a week and
# fifteen a month over every channel; a phone shared by players gets no more than one player's allowance.
# Marketing arrives 09:00–21:00 on working days and 10:00–20:00 on days off; service texts and pushes
# 08:00–22:00; e-mail and legal notices at any hour.
DEFAULT_POLICY = PolicySettings(
    caps=(
        CapRule(channel="sms", window="24h", limit=1),
        CapRule(channel="sms", window="7d", limit=3),
        CapRule(channel="sms", per="contact_point", window="7d", limit=3),
        CapRule(channel="email", window="7d", limit=3),
        CapRule(channel="push", window="24h", limit=2),
        CapRule(channel="call", window="30d", limit=1),
        CapRule(channel="all", window="7d", limit=6),
        CapRule(channel="all", window="30d", limit=15),
    ),
    quiet_hours=(
        *(
            QuietRule(
                channel=channel,
                message_class="marketing",
                working_days=_hours("09:00", "21:00"),
                days_off=_hours("10:00", "20:00"),
            )
            for channel in ("sms", "push", "call")
        ),
        *(
            QuietRule(
                channel=channel,
                message_class="service",
                working_days=_hours("08:00", "22:00"),
                days_off=_hours("08:00", "22:00"),
            )
            for channel in ("sms", "push")
        ),
    ),
)
