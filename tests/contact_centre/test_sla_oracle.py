"""The SLA engine against a naive oracle that walks the time line minute by minute (helpers/sla_oracle.py).

Calendars, zones (some with daylight saving), days off, moved working days, state histories and start
moments are drawn at random over a simulated year; the engine's due times and elapsed business time must
agree with the oracle's exactly.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import sla_oracle as oracle
from lottocrm.contact_centre.sla.calendar import BusinessCalendar, epoch
from lottocrm.contact_centre.sla.hours import WeekHours, Window
from lottocrm.contact_centre.sla.production import DayRules, production_calendar_for
from lottocrm.contact_centre.sla.timers import pauses_from_history

YEAR = 2025
YEAR_START = epoch(dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC))
MINUTES_IN_YEAR = 365 * 1440
ZONES = ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Vladivostok", "Europe/Kaliningrad", "Europe/Berlin")
# States and whether they pause the clock, as seeded (cases/models.py, migration 0050).
STATES = {"new": False, "open": False, "pending_reminder": True, "pending_close": True, "solved": True}
PAUSING = frozenset(state for state, pauses in STATES.items() if pauses)


@st.composite
def week_hours(draw: st.DrawFn) -> WeekHours:
    days = []
    for _ in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 1440), max_size=6)))
        if len(cuts) % 2:
            cuts = cuts[:-1]
        days.append(tuple(Window(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=True)))
    hours = sum(w.end - w.start for day in days for w in day)
    if hours < 300:
        days[draw(st.integers(0, 4))] = (Window(540, 1080),)
    return WeekHours(tuple(days))


@st.composite
def day_rules(draw: st.DrawFn) -> DayRules:
    if draw(st.booleans()):
        return production_calendar_for([YEAR, YEAR + 1])
    day = st.integers(0, 364).map(lambda n: dt.date(YEAR, 1, 1) + dt.timedelta(days=n))
    days_off = frozenset(draw(st.lists(day, max_size=20)))
    worked_as = {d: draw(st.integers(0, 6)) for d in draw(st.lists(day, max_size=6)) if d not in days_off}
    return DayRules(days_off=days_off, worked_as=worked_as)


@st.composite
def histories(draw: st.DrawFn, start: int) -> list[tuple[int, str]]:
    """State changes from the case's creation (``new``) onwards, minute-aligned."""
    changes = [(start, "new")]
    moment = start
    for _ in range(draw(st.integers(0, 6))):
        moment += 60 * draw(st.integers(1, 5 * 1440))
        changes.append((moment, draw(st.sampled_from(sorted(STATES)))))
    return changes


def _calendar(zone: str, hours: WeekHours, rules: DayRules) -> BusinessCalendar:
    return BusinessCalendar(
        zone=ZoneInfo(zone),
        hours=hours,
        rules=rules,
        first=dt.date(YEAR - 1, 12, 31),
        last=dt.date(YEAR + 1, 6, 30),
    )


def _counts(
    zone: ZoneInfo, hours: WeekHours, rules: DayRules, history: list[tuple[int, str]], minute: int
) -> bool:
    return oracle.counts(zone, hours, rules, history, minute, PAUSING)


def _oracle_deadline(zone: ZoneInfo, hours, rules, history, start: int, minutes: int) -> int | None:  # type: ignore[no-untyped-def]
    return oracle.deadline(zone, hours, rules, history, start, minutes, PAUSING)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    hours=week_hours(),
    rules=day_rules(),
    start_minute=st.integers(0, MINUTES_IN_YEAR - 1),
    target=st.integers(1, 1500),
    data=st.data(),
)
def test_deadlines_agree_with_the_minute_by_minute_oracle(
    zone, hours, rules, start_minute, target, data
) -> None:  # type: ignore[no-untyped-def]
    start = YEAR_START + 60 * start_minute
    history = data.draw(histories(start))
    pausing = frozenset(state for state, pauses in STATES.items() if pauses)
    pauses = pauses_from_history(history, pausing)
    calendar = _calendar(zone, hours, rules)
    expected = _oracle_deadline(ZoneInfo(zone), hours, rules, history, start, target)
    assert calendar.deadline(start, target * 60, pauses) == expected


@st.composite
def ends(draw: st.DrawFn, zone: str, hours: WeekHours, start: int) -> int:
    """An end moment after ``start``: anywhere, or exactly where a window opens or closes (where a
    deadline most easily goes one minute or one night wrong)."""
    if draw(st.booleans()):
        return start + 60 * draw(st.integers(0, 20 * 1440))
    local_start = dt.datetime.fromtimestamp(start, ZoneInfo(zone))
    day = local_start.date() + dt.timedelta(days=draw(st.integers(0, 20)))
    windows = hours.days[day.weekday()] or hours.days[draw(st.integers(0, 6))] or (Window(540, 1080),)
    window = draw(st.sampled_from(windows))
    minute = draw(st.sampled_from((window.start, window.end)))
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    return max(start, epoch(naive.replace(tzinfo=ZoneInfo(zone), fold=draw(st.integers(0, 1)))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    hours=week_hours(),
    rules=day_rules(),
    start_minute=st.integers(0, MINUTES_IN_YEAR - 30 * 1440),
    data=st.data(),
)
def test_elapsed_time_and_the_deadline_it_implies_agree_with_the_oracle(  # type: ignore[no-untyped-def]
    zone, hours, rules, start_minute, data
) -> None:
    start = YEAR_START + 60 * start_minute
    end = data.draw(ends(zone, hours, start))
    history = data.draw(histories(start))
    pausing = frozenset(state for state, pauses in STATES.items() if pauses)
    pauses = pauses_from_history(history, pausing)
    calendar = _calendar(zone, hours, rules)
    counted = [
        minute for minute in range(start, end, 60) if _counts(ZoneInfo(zone), hours, rules, history, minute)
    ]
    assert calendar.elapsed(start, end, pauses) == 60 * len(counted)
    if counted:
        assert calendar.deadline(start, 60 * len(counted), pauses) == counted[-1] + 60


BOUNDARIES = (0, 60, 90, 120, 150, 180, 210, 1440)


@pytest.mark.parametrize("day", [dt.date(2025, 3, 30), dt.date(2025, 10, 26)], ids=["forward", "back"])
def test_windows_around_a_change_of_clocks_match_the_wall_clock(day: dt.date) -> None:
    """Every window with ends among 00:00, 01:00 … 03:30, 24:00 on the days Berlin's clocks change: the
    business seconds the calendar lays down equal the minutes the oracle counts, one by one."""
    berlin = ZoneInfo("Europe/Berlin")
    rules = DayRules(days_off=frozenset(day + dt.timedelta(days=n) for n in (-1, 1, 2)))
    first = epoch(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(), dt.UTC))
    for start in BOUNDARIES:
        for end in (b for b in BOUNDARIES if b > start):
            hours = WeekHours(tuple((Window(start, end),) for _ in range(7)))
            calendar = BusinessCalendar(
                zone=berlin,
                hours=hours,
                rules=rules,
                first=day - dt.timedelta(days=1),
                last=day + dt.timedelta(days=2),
            )
            minutes = [
                m
                for m in range(first, first + 3 * 86_400, 60)
                if _counts(berlin, hours, rules, [(first, "new")], m)
            ]
            assert calendar.total == 60 * len(minutes), (start, end)
            if minutes:
                assert calendar.deadline(first, calendar.total) == minutes[-1] + 60


def test_a_transferred_working_saturday_is_worked() -> None:
    """Friday 31 October 2025, 17:30 in Moscow, plus one business hour of 09:00–18:00: Saturday 1 November
    was a working day (Monday 3 November was off in its place)."""
    moscow = ZoneInfo("Europe/Moscow")
    calendar = BusinessCalendar(
        zone=moscow,
        hours=WeekHours.parse({d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}),
        rules=production_calendar_for([2025]),
        first=dt.date(2025, 1, 1),
        last=dt.date(2025, 12, 31),
    )
    due = calendar.deadline(epoch(dt.datetime(2025, 10, 31, 17, 30, tzinfo=moscow)), 3600)
    assert due == epoch(dt.datetime(2025, 11, 1, 9, 30, tzinfo=moscow))
    # and the Monday it stood in for is not worked: 8 business hours from Saturday 09:30 end on Tuesday.
    due = calendar.deadline(epoch(dt.datetime(2025, 11, 1, 9, 30, tzinfo=moscow)), 9 * 3600)
    assert due == epoch(dt.datetime(2025, 11, 5, 9, 30, tzinfo=moscow))


@pytest.mark.parametrize(
    ("day", "hours_that_day"),
    [(dt.date(2025, 10, 26), 3), (dt.date(2025, 3, 30), 1), (dt.date(2025, 6, 1), 2)],
    ids=["clocks back", "clocks forward", "ordinary"],
)
def test_a_window_lasts_as_long_as_the_wall_clock_shows(day: dt.date, hours_that_day: int) -> None:
    calendar = BusinessCalendar(
        zone=ZoneInfo("Europe/Berlin"),
        hours=WeekHours.parse(
            {d: ["01:00-03:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        ),
        rules=DayRules(),
        first=day,
        last=day,
    )
    assert calendar.total == hours_that_day * 3600
