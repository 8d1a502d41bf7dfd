"""Days that break a team's weekly pattern: public holidays, and weekend days worked in their place.

Russia's production calendar moves days off: Saturday 1 November 2025 was worked so that Monday 3 November
could be off. Such a Saturday is worked with the hours of the weekday it stands in for (a team that works
Mondays 09:00–18:00 works that Saturday 09:00–18:00). The ``holidays`` package knows the moves (verified
against the published calendars; ``workalendar`` gets 2024–2025 wrong, see the design research §4–5).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import holidays

# The package names a moved day off "Day off (substituted from 11/01/2025)" in American English; the date
# in it is the weekend day that became a working day.
_SUBSTITUTED_FROM = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})\)")


@dataclass(frozen=True)
class DayRules:
    """``days_off``: no working hours at all; ``worked_as``: a day worked with another weekday's hours."""

    days_off: frozenset[dt.date] = frozenset()
    worked_as: Mapping[dt.date, int] = field(default_factory=dict)

    def weekday_hours_of(self, day: dt.date) -> int | None:
        """Whose weekday's windows apply on ``day`` (None: a day off)."""
        if day in self.days_off:
            return None
        return self.worked_as.get(day, day.weekday())


NO_RULES = DayRules()


@lru_cache(maxsize=32)
def russian_production_calendar(years: tuple[int, ...]) -> DayRules:
    """Public holidays and moved days of Russia's production calendar for ``years``."""
    wanted = set(years)
    # A move may cross the new year (a Saturday in January stands in for 31 December), so read a year more
    # on each side and keep what falls in the years asked for.
    public = holidays.country_holidays("RU", years=range(min(wanted) - 1, max(wanted) + 2), language="en_US")
    days_off = frozenset(day for day in public if day.year in wanted)
    worked_as: dict[dt.date, int] = {}
    for day_off, name in public.items():
        match = _SUBSTITUTED_FROM.search(name)
        if match is None:
            continue
        month, day, year = (int(part) for part in match.groups())
        moved_from = dt.date(year, month, day)
        if moved_from.year in wanted and moved_from.weekday() >= 5 and moved_from not in public:
            worked_as[moved_from] = day_off.weekday()
    return DayRules(days_off=days_off, worked_as=worked_as)


def production_calendar_for(years: Iterable[int]) -> DayRules:
    return russian_production_calendar(tuple(sorted(set(years))))
