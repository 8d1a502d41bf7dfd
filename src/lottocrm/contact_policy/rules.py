"""The policy's rules as pure functions: the player's zone, the production calendar, quiet hours, caps.

Kept free of the database so they are property-tested alone and used the same way by ``decide`` (one
player, in Python) and by the dispatcher at release time; ``selection.py`` states the same rules in SQL.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from lottocrm import clock, vocab
from lottocrm.contact_policy.document import WINDOWS, CapRule, Hours, QuietRule

# --- where and when the player is ----------------------------------------------------------------------


def player_zone(region: str | None) -> ZoneInfo:
    """The player's time zone from their region; the operator's when the region is unknown."""
    zone = vocab.REGION_ZONES.get(region or "")
    return clock.zone_named(zone) if zone else clock.operator_zone()


# The holidays package names a moved day off "Day off (substituted from 11/01/2025)" in American English;
# the date in it is the weekend day that became a working day.
_SUBSTITUTED_FROM = re.compile(r"substituted from ([0-9/]+)\)")


@lru_cache(maxsize=64)
def _calendar(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """Russia's production calendar for ``year``: public holidays and days off moved onto weekdays, and the
    weekend days turned into working days by those moves (a Saturday worked so a Friday can be off)."""
    public = holidays.country_holidays("RU", years=(year - 1, year, year + 1), language="en_US")
    days_off = frozenset(day for day in public if day.year == year)
    working_weekends = set()
    for name in public.values():
        match = _SUBSTITUTED_FROM.search(name)
        if match is None:
            continue
        month, day, moved_year = (int(part) for part in match.group(1).split("/"))
        moved_from = dt.date(moved_year, month, day)
        if moved_from.year == year and moved_from.weekday() >= 5 and moved_from not in public:
            working_weekends.add(moved_from)
    return days_off, frozenset(working_weekends)


def is_day_off(day: dt.date) -> bool:
    """A weekend (unless transferred to a working day) or a public holiday of the production calendar."""
    holidays_of_year, working_weekends = _calendar(day.year)
    if day in holidays_of_year:
        return True
    return day.weekday() >= 5 and day not in working_weekends


# --- quiet hours ---------------------------------------------------------------------------------------


def _hours_on(day: dt.date, rule: QuietRule) -> Hours:
    return rule.days_off if is_day_off(day) else rule.working_days


def next_allowed(at: dt.datetime, zone: ZoneInfo, rule: QuietRule | None) -> dt.datetime | None:
    """None when a message may arrive at ``at``; otherwise the first moment (UTC) after ``at`` when it may,
    on the player's wall clock."""
    if rule is None:
        return None
    local = at.astimezone(zone)
    hours = _hours_on(local.date(), rule)
    if hours.start <= local.time() < hours.end:
        return None
    day = local.date() if local.time() < hours.start else local.date() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, _hours_on(day, rule).start, zone)
    return start.astimezone(dt.UTC)


def spread(release_at: dt.datetime, *, key: int, minutes: int) -> dt.datetime:
    """``release_at`` moved by a stable share of ``minutes`` picked by ``key`` (the message or player), so
    messages held overnight leave over the first minutes of the morning, not all at its first second."""
    if minutes <= 0:
        return release_at
    offset = zlib.crc32(key.to_bytes(8, "big", signed=True)) % (minutes * 60)
    return release_at + dt.timedelta(seconds=offset)


# --- caps ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Touch:
    """A counted message, as the cap ledger keeps it."""

    channel: str
    contact_point: str
    at: dt.datetime


def counts_toward(rule: CapRule, touch: Touch, contact_point: str) -> bool:
    """Whether ``touch`` counts in ``rule`` for a message to ``contact_point`` (windows aside)."""
    return (rule.channel == "all" or touch.channel == rule.channel) and (
        rule.per == "player" or touch.contact_point == contact_point
    )


@dataclass(frozen=True)
class CapHit:
    rule: CapRule
    count: int


def cap_hit(
    touches: Iterable[Touch],
    *,
    rules: Iterable[CapRule],
    channel: str,
    contact_point: str,
    at: dt.datetime,
    shared_point_touches: Iterable[Touch] = (),
) -> CapHit | None:
    """The first cap one more message on ``channel`` to ``contact_point`` at ``at`` would break, or None.

    ``touches`` are the player's; ``shared_point_touches`` other players' touches of the same contact point
    (a phone on two accounts), which only per-contact-point rules count. Touches stamped after ``at``
    count too: the caller decides which it reads (a decision about a past moment reads none; a reservation
    reads them all, because another worker that took its time a moment later may have committed first).
    """
    own = list(touches)
    shared = list(shared_point_touches)
    for rule in rules:
        since = at - WINDOWS[rule.window]
        pool = own + shared if rule.per == "contact_point" else own
        count = sum(1 for touch in pool if since <= touch.at and counts_toward(rule, touch, contact_point))
        if count >= rule.limit:
            return CapHit(rule=rule, count=count)
    return None
