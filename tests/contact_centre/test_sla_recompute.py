"""The set-based recompute equals the scalar engine, timer by timer, and rebuilds the same pauses from the
state history as the per-case function."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from lottocrm.contact_centre.sla.calendar import BusinessCalendar, epoch
from lottocrm.contact_centre.sla.hours import WeekHours
from lottocrm.contact_centre.sla.production import production_calendar_for
from lottocrm.contact_centre.sla.recompute import NO_DUE, deadlines, pauses_from_rows
from lottocrm.contact_centre.sla.timers import pauses_from_history

STATES = np.array(["new", "open", "pending_reminder", "solved"])
PAUSING = frozenset({"pending_reminder", "solved"})


def _history(rng: np.random.Generator, cases: int, origin: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random state changes: (case index, moment, state) sorted by case and moment, each case from "new"."""
    per_case = rng.integers(1, 7, size=cases)
    case_index = np.repeat(np.arange(cases), per_case)
    gaps = rng.integers(60, 4 * 86_400, size=len(case_index)) // 60 * 60
    starts = origin + rng.integers(0, 300 * 86_400, size=cases) // 60 * 60
    first = np.r_[True, case_index[1:] != case_index[:-1]]
    gaps[first] = 0
    moment = starts[case_index] + np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], per_case)
    state = STATES[rng.integers(0, len(STATES), size=len(case_index))]
    state[first] = "new"
    return case_index, moment.astype(np.int64), state


@pytest.mark.parametrize(
    "hours",
    [
        {d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        {"mon": ["22:00-24:00"], "tue": ["00:00-06:00"], "sat": ["10:00-10:30"]},
    ],
    ids=["office with lunch", "sparse night shift"],
)
def test_vectorised_deadlines_equal_the_scalar_walk(hours: dict[str, list[str]]) -> None:
    rng = np.random.default_rng(7)
    zone = ZoneInfo("Asia/Yekaterinburg")
    calendar = BusinessCalendar(
        zone=zone,
        hours=WeekHours.parse(hours),
        rules=production_calendar_for([2025, 2026, 2027]),
        first=dt.date(2025, 1, 1),
        last=dt.date(2027, 12, 31),
    )
    origin = epoch(dt.datetime(2025, 1, 1, tzinfo=zone))
    cases = 3000
    case_index, moment, state = _history(rng, cases, origin)
    pausing = np.isin(state, list(PAUSING))
    pauses = pauses_from_rows(case_index, moment, pausing)
    first = np.r_[True, case_index[1:] != case_index[:-1]]
    start = moment[first]
    target = rng.integers(1, 3000, size=cases) * 60
    due = deadlines(calendar, start, target, pauses)
    for i in range(cases):
        rows = case_index == i
        history = list(zip(moment[rows].tolist(), state[rows].tolist(), strict=True))
        own = pauses_from_history(history, PAUSING)
        mine = pauses.owner == i
        rebuilt = [
            (int(s), None if e == NO_DUE else int(e))
            for s, e in zip(pauses.start[mine], pauses.end[mine], strict=True)
        ]
        # The per-case function drops zero-length pauses; they stop no clock.
        assert [p for p in rebuilt if p[1] != p[0]] == list(own), i
        expected = calendar.deadline(int(start[i]), int(target[i]), own)
        assert due[i] == (NO_DUE if expected is None else expected), i
