"""A naive SLA oracle: walks the time line minute by minute, knowing only the definition.

A minute counts when the team's wall clock, at that minute, shows a time inside one of the windows of a day
that is worked (with the hours of the weekday it stands in for), and the case is not then in a state that
pauses the clock. No intervals, no prefix sums, no binary search: what the engine does fast, this does the
slow and obvious way, for the property tests to compare.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from lottocrm.contact_centre.sla.hours import WeekHours
from lottocrm.contact_centre.sla.production import DayRules

# The oracle gives up past this many minutes; tests draw hours that make deadlines far shorter.
LIMIT_MINUTES = 120 * 1440


def state_at(history: list[tuple[int, str]], minute: int) -> str:
    state = history[0][1]
    for moment, new_state in history:
        if moment <= minute:
            state = new_state
    return state


def counts(
    zone: ZoneInfo,
    hours: WeekHours,
    rules: DayRules,
    history: list[tuple[int, str]],
    minute: int,
    pausing: frozenset[str],
) -> bool:
    if state_at(history, minute) in pausing:
        return False
    local = dt.datetime.fromtimestamp(minute, zone)
    weekday = rules.weekday_hours_of(local.date())
    if weekday is None:
        return False
    of_day = local.hour * 60 + local.minute
    return any(w.start <= of_day < w.end for w in hours.days[weekday])


def deadline(
    zone: ZoneInfo,
    hours: WeekHours,
    rules: DayRules,
    history: list[tuple[int, str]],
    start: int,
    minutes: int,
    pausing: frozenset[str],
) -> int | None:
    """The end of the ``minutes``-th counted minute from ``start``; None when the case is paused for good
    before that."""
    counted, minute = 0, start
    last_change, last_state = history[-1]
    while minute < start + LIMIT_MINUTES * 60:
        if counts(zone, hours, rules, history, minute, pausing):
            counted += 1
            if counted == minutes:
                return minute + 60
        elif minute >= last_change and last_state in pausing:
            return None
        minute += 60
    raise AssertionError("the oracle ran out of time line")
