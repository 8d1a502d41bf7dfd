"""Operator time: the one source of "now", of the operator's time zone and of the operator's day.

A lottery lives by its own calendar: daily caps reset at the operator's midnight, a self-exclusion ends at
the end of the operator's day, quiet hours and SLA deadlines are local. So nothing reads the system clock or
assumes an offset: code asks this module, and tests swap the clock with :func:`frozen` (or
:func:`use`) instead of patching ``datetime``.

The zone is ``LOTTOCRM_TIMEZONE`` (an IANA name, validated by the settings), read when first asked for, so a
test that points the settings elsewhere gets its own zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=16)
def zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Clock:
    """The real clock in the operator's zone (``zone_name`` None: the one the settings name)."""

    def __init__(self, zone_name: str | None = None) -> None:
        self._zone_name = zone_name

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    @property
    def zone(self) -> ZoneInfo:
        if self._zone_name is not None:
            return zone_named(self._zone_name)
        from lottocrm.settings import get_settings

        return zone_named(get_settings().timezone)


@dataclass
class FrozenClock(Clock):
    """A clock that shows ``at`` until moved with :meth:`advance` or :meth:`set`."""

    at: dt.datetime
    zone_name: str | None = field(default=None)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a frozen clock needs an aware datetime")
        super().__init__(self.zone_name)

    def now(self) -> dt.datetime:
        return self.at.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> None:
        self.at = self.at + delta

    def set(self, at: dt.datetime) -> None:
        self.at = at


_current: Clock = Clock()


def current() -> Clock:
    return _current


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Run the block with ``clock`` as the operator's clock (tests, replays)."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous


@contextmanager
def frozen(at: dt.datetime, zone: str | None = None) -> Iterator[FrozenClock]:
    """``with clock.frozen(moment) as c: …`` — time stands at ``moment`` until ``c.advance(...)``."""
    with use(FrozenClock(at, zone)) as frozen_clock:
        yield frozen_clock  # type: ignore[misc]


def now() -> dt.datetime:
    """The current moment, aware, in UTC."""
    return _current.now()


def operator_zone() -> ZoneInfo:
    return _current.zone


def local(at: dt.datetime) -> dt.datetime:
    """``at`` on the operator's wall clock."""
    _require_aware(at)
    return at.astimezone(operator_zone())


def operator_day(at: dt.datetime | None = None) -> dt.date:
    """The operator's calendar date at ``at`` (default: now)."""
    return local(at or now()).date()


def day_bounds(day: dt.date, *, zone: str | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The operator's day ``day`` as [start, end) in UTC. A day of a DST change is 23 or 25 hours long.

    ``zone`` names another IANA zone for code that is told its zone explicitly (the analytics take the
    zone as an option, so a mart can be built and checked for any operator).
    """
    zone_info = operator_zone() if zone is None else zone_named(zone)
    start = dt.datetime.combine(day, dt.time(), zone_info)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone_info)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def day_bounds_at(at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of the operator's day that contains ``at``."""
    return day_bounds(operator_day(at))


def _require_aware(at: dt.datetime) -> None:
    if at.tzinfo is None:
        raise ValueError(f"a naive datetime has no place in operator time: {at.isoformat()}")
