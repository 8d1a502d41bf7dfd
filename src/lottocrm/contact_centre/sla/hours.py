"""A team's working week: windows of local wall-clock time per weekday, checked once when they are set.

A window is minutes of the local day, ``0 <= start < end <= 1440``; a night shift is two windows (22:00–24:00
on one day, 00:00–06:00 on the next), which the calendar joins into one stretch of business time. Several
windows a day make a lunch break. Overlapping windows are refused rather than merged: a supervisor who typed
09:00–18:00 and 13:00–14:00 most likely meant a break, and guessing would move every deadline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lottocrm.contact_centre.errors import InvalidHours, OverlappingHours

MINUTES_PER_DAY = 1440
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True, order=True)
class Window:
    start: int
    end: int

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}–{_hhmm(self.end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_minute(text: str, *, where: str) -> int:
    """``"09:30"`` → 570; ``"24:00"`` is the end of the day."""
    match = _HHMM.match(text.strip())
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not 0 <= minutes <= MINUTES_PER_DAY:
        raise InvalidHours("%(where)s: %(value)r is not a time of day (HH:MM)", where=where, value=text)
    return minutes


def window(start: int, end: int, *, where: str) -> Window:
    if not 0 <= start < end <= MINUTES_PER_DAY:
        raise InvalidHours(
            "%(where)s: a window must start before it ends, within one day (got %(start)s–%(end)s)",
            where=where,
            start=_hhmm(start) if 0 <= start <= MINUTES_PER_DAY else str(start),
            end=_hhmm(end) if 0 <= end <= MINUTES_PER_DAY else str(end),
        )
    return Window(start, end)


@dataclass(frozen=True)
class WeekHours:
    """Windows per weekday, Monday first; each day's windows sorted and disjoint (checked on creation)."""

    days: tuple[tuple[Window, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise InvalidHours("working hours need seven weekdays, got %(count)s", count=len(self.days))
        for weekday, windows in enumerate(self.days):
            ordered = sorted(windows)
            for before, after in zip(ordered, ordered[1:], strict=False):
                if after.start < before.end:
                    raise OverlappingHours(
                        "working hours on %(day)s overlap: %(first)s and %(second)s",
                        day=WEEKDAYS[weekday],
                        first=str(before),
                        second=str(after),
                    )
        object.__setattr__(self, "days", tuple(tuple(sorted(w)) for w in self.days))
        if not any(self.days):
            raise InvalidHours("working hours have no window on any weekday")

    @classmethod
    def parse(cls, spec: dict[str, list[str]]) -> WeekHours:
        """From ``{"mon": ["09:00-13:00", "14:00-18:00"], …}``; a weekday left out is a day off."""
        unknown = sorted(set(spec) - set(WEEKDAYS))
        if unknown:
            raise InvalidHours("unknown weekday %(day)r (use mon … sun)", day=unknown[0])
        days: list[tuple[Window, ...]] = []
        for name in WEEKDAYS:
            windows = []
            for text in spec.get(name, []):
                where = f"{name} {text}"
                start, sep, end = text.replace("–", "-").partition("-")
                if not sep:
                    raise InvalidHours("%(where)s: write a window as HH:MM-HH:MM", where=where)
                windows.append(
                    window(parse_minute(start, where=where), parse_minute(end, where=where), where=where)
                )
            days.append(tuple(windows))
        return cls(tuple(days))

    def spec(self) -> dict[str, list[str]]:
        return {
            WEEKDAYS[i]: [f"{_hhmm(w.start)}-{_hhmm(w.end)}" for w in windows]
            for i, windows in enumerate(self.days)
            if windows
        }


def office_hours(start: str = "09:00", end: str = "18:00") -> WeekHours:
    """Monday to Friday, one window: the default team's hours."""
    return WeekHours.parse({day: [f"{start}-{end}"] for day in WEEKDAYS[:5]})
