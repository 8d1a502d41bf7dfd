"""Business time on one team's calendar: deadlines and elapsed time that skip closed hours and pauses.

The calendar lays the team's working windows, on the days its production calendar says are worked, onto
the UTC time line as sorted, disjoint intervals, with a running total of business seconds before each. Then
``business_at(t)`` (business seconds since the calendar's start) is a binary search and an addition, and
its inverse ``moment_at(b)`` too, so a deadline costs O(log n) however far it lies — and a million of them
are two ``numpy.searchsorted`` calls (``sla/recompute.py``).

Times are integer seconds since the Unix epoch (UTC). A minute counts as worked when the team's wall clock,
at that minute, reads a time inside one of the day's windows; the intervals are the exact preimage of the
windows under the zone's offsets, so a day when clocks change gets the hours its wall clock shows (a
window 01:00–03:00 on a night that repeats 02:00–03:00 is three hours long).

Pauses are (start, end) intervals, end None while the pause lasts; during a pause the clock does not run,
as Zammad's ``TicketBizBreak`` feeds a ticket's paused periods to its calendar (design research §2.1).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np

from lottocrm.contact_centre.sla.hours import WeekHours, Window
from lottocrm.contact_centre.sla.production import DayRules

Pause = tuple[int, int | None]
_EPOCH_DAY = dt.date(1970, 1, 1).toordinal()


class OutOfCalendar(ValueError):
    """A moment or a deadline outside the years the calendar was built for: build a wider one."""


def epoch(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}")
    return int(moment.timestamp())


def utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _offset(zone: ZoneInfo, seconds: int) -> int:
    offset = dt.datetime.fromtimestamp(seconds, zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def _local_candidates(zone: ZoneInfo, local: dt.datetime) -> set[int]:
    found = set()
    for fold in (0, 1):
        offset = local.replace(tzinfo=zone, fold=fold).utcoffset()
        assert offset is not None
        found.add(int(offset.total_seconds()))
    return found


def _utc_ranges(zone: ZoneInfo, day: dt.date, window: Window) -> list[tuple[int, int]]:
    """The UTC instants whose wall-clock time on ``day`` lies in ``window``: one range, or two on a day the
    clocks change (the parts before and after the change)."""
    midnight = (day.toordinal() - _EPOCH_DAY) * 86_400
    local_start, local_end = midnight + window.start * 60, midnight + window.end * 60
    naive = dt.datetime.combine(day, dt.time())
    offsets = _local_candidates(zone, naive + dt.timedelta(minutes=window.start)) | _local_candidates(
        zone, naive + dt.timedelta(minutes=window.end)
    )
    ranges = []
    for offset in offsets:
        low, high = local_start - offset, local_end - offset
        at_low, at_high = _offset(zone, low) == offset, _offset(zone, high - 1) == offset
        if at_low and at_high:
            ranges.append((low, high))
        elif at_low or at_high:
            # One change of offset inside the window (changes are months apart): find it and keep the side
            # where the wall clock used this offset.
            same, changed = low, high - 1
            first = _offset(zone, low)
            while changed - same > 1:
                middle = (same + changed) // 2
                if _offset(zone, middle) == first:
                    same = middle
                else:
                    changed = middle
            ranges.append((low, changed) if at_low else (changed, high))
    return ranges


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class BusinessCalendar:
    """One team's business time from the first local day ``first`` to the last ``last`` (inclusive)."""

    def __init__(
        self, *, zone: ZoneInfo, hours: WeekHours, rules: DayRules, first: dt.date, last: dt.date
    ) -> None:
        self.zone = zone
        ranges: list[tuple[int, int]] = []
        day = first
        while day <= last:
            weekday = rules.weekday_hours_of(day)
            if weekday is not None:
                for window in hours.days[weekday]:
                    ranges += _utc_ranges(zone, day, window)
            day += dt.timedelta(days=1)
        intervals = _merged(ranges)
        self.starts = [start for start, _ in intervals]
        self.ends = [end for _, end in intervals]
        self.before: list[int] = []
        total = 0
        for start, end in intervals:
            self.before.append(total)
            total += end - start
        self.through = [b + (e - s) for b, s, e in zip(self.before, self.starts, self.ends, strict=True)]
        self.total = total
        self.covers = (
            epoch(dt.datetime.combine(first, dt.time(), zone)),
            epoch(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)),
        )
        self._starts = np.asarray(self.starts, dtype=np.int64)
        self._ends = np.asarray(self.ends, dtype=np.int64)
        self._before = np.asarray(self.before, dtype=np.int64)
        self._through = np.asarray(self.through, dtype=np.int64)

    # --- one moment -------------------------------------------------------------------------------------

    def _check(self, seconds: int) -> None:
        if not self.covers[0] <= seconds <= self.covers[1]:
            raise OutOfCalendar(f"{utc(seconds).isoformat()} is outside the calendar's years")

    def business_at(self, seconds: int) -> int:
        """Business seconds worked from the calendar's start up to ``seconds``."""
        self._check(seconds)
        i = bisect.bisect_right(self.starts, seconds) - 1
        if i < 0:
            return 0
        return self.before[i] + min(seconds - self.starts[i], self.ends[i] - self.starts[i])

    def moment_at(self, business: int) -> int:
        """The first moment by which ``business`` seconds have been worked."""
        i = bisect.bisect_left(self.through, business)
        if i == len(self.through):
            raise OutOfCalendar("the deadline lies beyond the calendar's years")
        return self.starts[i] + (business - self.before[i])

    def deadline(self, start: int, seconds: int, pauses: Sequence[Pause] = ()) -> int | None:
        """When ``seconds`` of business time will have run from ``start``, the clock stopped during
        ``pauses`` (sorted, disjoint); None while a pause that began before then still lasts."""
        worked = self.business_at(start)
        remaining = seconds
        for pause_start, pause_end in pauses:
            if pause_end is not None and pause_end <= start:
                continue
            before_pause = self.business_at(max(pause_start, start)) - worked
            if remaining <= before_pause:
                return self.moment_at(worked + remaining)
            remaining -= before_pause
            if pause_end is None:
                return None
            worked = self.business_at(pause_end)
        return self.moment_at(worked + remaining)

    def elapsed(self, start: int, end: int, pauses: Sequence[Pause] = ()) -> int:
        """Business seconds from ``start`` to ``end``, less those inside ``pauses``."""
        if end <= start:
            return 0
        total = self.business_at(end) - self.business_at(start)
        for pause_start, pause_end in pauses:
            low, high = max(pause_start, start), min(end if pause_end is None else pause_end, end)
            if high > low:
                total -= self.business_at(high) - self.business_at(low)
        return total

    # --- many moments at once ---------------------------------------------------------------------------

    def business_at_many(self, seconds: np.ndarray) -> np.ndarray:
        if len(seconds) and (seconds.min() < self.covers[0] or seconds.max() > self.covers[1]):
            raise OutOfCalendar("a moment is outside the calendar's years")
        i = np.searchsorted(self._starts, seconds, side="right") - 1
        inside = i >= 0
        j = np.where(inside, i, 0)
        worked = self._before[j] + np.minimum(seconds - self._starts[j], self._ends[j] - self._starts[j])
        return np.where(inside, worked, 0)

    def moment_at_many(self, business: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self._through, business, side="left")
        if len(business) and i.max() >= len(self._through):
            raise OutOfCalendar("a deadline lies beyond the calendar's years")
        return self._starts[i] + (business - self._before[i])
