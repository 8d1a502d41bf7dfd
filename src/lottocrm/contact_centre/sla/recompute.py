"""Recompute the due times of many open timers at once: after a team's hours or a policy change, or as a
nightly check. Set-based: a team's timers become numpy arrays, the pauses are rebuilt from the state
history with array operations, and the deadlines are two ``searchsorted`` calls on the team's calendar.

Timers whose budget ran out before one of their pauses ended are rare (the SLA was already missed before
the case was parked); they go through the scalar walk of ``BusinessCalendar.deadline``, which the vectorised
result equals everywhere else (tests/contact_centre/test_sla_recompute.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottocrm.contact_centre.sla.calendar import BusinessCalendar

NO_DUE = -1


@dataclass(frozen=True)
class Pauses:
    """Pause intervals of many timers: ``owner[i]`` is the timer pause ``i`` belongs to; ``end`` is
    ``NO_DUE`` for a pause that still lasts. Sorted by owner, then start."""

    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray


def pauses_from_rows(case_index: np.ndarray, moment: np.ndarray, pausing: np.ndarray) -> Pauses:
    """The pauses of many cases from their state changes, rows sorted by (case, moment): a pause starts at
    a change into a pausing state from a running one and ends at the next change into a running state."""
    same_case = np.r_[False, case_index[1:] == case_index[:-1]]
    before = np.r_[False, pausing[:-1]] & same_case
    starts = np.flatnonzero(pausing & ~before)
    ends = np.flatnonzero(~pausing & before)
    follower = np.searchsorted(ends, starts)
    has_end = follower < len(ends)
    follower = np.where(has_end, follower, 0)
    closed = has_end & (case_index[ends[follower]] == case_index[starts]) if len(ends) else has_end
    return Pauses(
        owner=case_index[starts],
        start=moment[starts],
        end=np.where(closed, moment[ends[follower]] if len(ends) else NO_DUE, NO_DUE),
    )


def deadlines(
    calendar: BusinessCalendar, start: np.ndarray, target: np.ndarray, pauses: Pauses
) -> np.ndarray:
    """Due moments (epoch seconds) of timers running ``target`` business seconds from ``start``, stopped
    during their pauses; ``NO_DUE`` for a timer stopped now by a pause that began before it ran out."""
    count = len(start)
    worked_at_start = calendar.business_at_many(start)
    owner = pauses.owner
    pause_from = np.maximum(pauses.start, start[owner]) if len(owner) else pauses.start
    is_open = pauses.end == NO_DUE
    closed = ~is_open & (pauses.end > start[owner]) if len(owner) else is_open
    b_from = calendar.business_at_many(pause_from)
    b_to = calendar.business_at_many(np.where(closed, pauses.end, pause_from))
    paused = np.bincount(owner[closed], weights=(b_to - b_from)[closed], minlength=count).astype(np.int64)
    # How much of the budget had run by the end of the last closed pause, and by the start of an open one.
    last_end = np.full(count, -1, dtype=np.int64)
    np.maximum.at(last_end, owner[closed], b_to[closed])
    open_from = np.full(count, -1, dtype=np.int64)
    np.maximum.at(open_from, owner[is_open], b_from[is_open])
    ran_by_last_end = np.where(last_end >= 0, last_end - worked_at_start - paused, -1)
    ran_by_open = np.where(open_from >= 0, open_from - worked_at_start - paused, -1)
    simple = ran_by_last_end < target
    stopped = simple & (open_from >= 0) & (ran_by_open < target)
    due = calendar.moment_at_many(np.where(simple, worked_at_start + target + paused, worked_at_start))
    due = np.where(stopped, NO_DUE, due)
    # The rest (a budget spent before a pause ended) walk their pauses one by one; pauses are sorted by
    # owner, so each timer's are one slice.
    walkers = np.flatnonzero(~simple)
    lows, highs = np.searchsorted(owner, walkers, side="left"), np.searchsorted(owner, walkers, side="right")
    for i, low, high in zip(walkers, lows, highs, strict=True):
        walked = calendar.deadline(
            int(start[i]),
            int(target[i]),
            [(int(pauses.start[j]), None if is_open[j] else int(pauses.end[j])) for j in range(low, high)],
        )
        due[i] = NO_DUE if walked is None else walked
    return due
