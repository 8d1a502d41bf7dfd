"""Seasonality as a time change: calendar time ↔ 'operational' time, where each player buys at a fixed rate.

The population's buying intensity at calendar time t is s(t) = month(t) · weekday(t) · hour(t) · J(t), where
J(t) is the popularity-weighted jackpot lift of the games' next draws. s is normalised to average 1 over the
simulated window, so Λ(t) = ∫ s (in weeks) runs as fast as the calendar on average. A player with rate λ
buys as a homogeneous Poisson process of rate λ in Λ-time; mapping the events back through Λ⁻¹ concentrates
them in Decembers, Fridays, evenings and big-jackpot weeks without changing their expected yearly count, so
BG/NBD is exactly the model in Λ-time and very nearly the model in calendar weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottocrm.simulator.draws import EPOCH_WEEKDAY, US_PER_DAY, DrawCalendar
from lottocrm.simulator.games import popularity
from lottocrm.simulator.local_time import to_local_us

US_PER_HOUR = 3600 * 1_000_000
HOURS_PER_WEEK = 168.0

# January is quiet after the New Year draw; December buys for it (the New Year draw lift comes on top).
MONTH_FACTOR = np.array([0.75, 0.9, 1.0, 0.95, 0.9, 0.85, 0.85, 0.9, 0.95, 1.0, 1.1, 1.6])
# Monday first: Friday and Saturday shopping, Sunday morning before the weekly draws.
WEEKDAY_FACTOR = np.array([0.9, 0.9, 0.95, 0.95, 1.1, 1.2, 1.0])
# Moscow hour of day: quiet nights, a lunchtime bump, the evening peak.
HOUR_FACTOR = np.array(
    [
        0.25,
        0.12,
        0.06,
        0.04,
        0.04,
        0.06,
        0.2,
        0.5,
        0.8,
        1.0,
        1.1,
        1.2,
        1.4,
        1.3,
        1.2,
        1.2,
        1.3,
        1.5,
        1.8,
        2.0,
        2.0,
        1.7,
        1.2,
        0.6,
    ]
)


def calendar_parts(times_us: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The operator's local month (0–11), weekday (Monday = 0) and hour of each UTC time."""
    local = to_local_us(times_us)
    days = local // US_PER_DAY
    hour = (local % US_PER_DAY) // US_PER_HOUR
    weekday = (days + EPOCH_WEEKDAY) % 7
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    return month, weekday, hour


def raw_intensity(start_us: int, end_us: int, calendar: DrawCalendar) -> tuple[np.ndarray, np.ndarray]:
    """s(t) per hour of the window before normalising, and each game's jackpot lift per hour."""
    hours = (end_us - start_us) // US_PER_HOUR
    middles = start_us + np.arange(hours, dtype=np.int64) * US_PER_HOUR + US_PER_HOUR // 2
    month, weekday, hour = calendar_parts(middles)
    lifts = calendar.lift_at(middles)
    return MONTH_FACTOR[month] * WEEKDAY_FACTOR[weekday] * HOUR_FACTOR[hour] * (lifts @ popularity()), lifts


@dataclass(frozen=True)
class Timeline:
    start_us: int
    end_us: int
    intensity: np.ndarray  # per hour of the window, mean 1
    cumulative_weeks: np.ndarray  # Λ at each hour boundary (hours + 1 values)
    lifts: np.ndarray  # hours × games, jackpot lift of each game during that hour

    @classmethod
    def build(
        cls, start_us: int, end_us: int, calendar: DrawCalendar, normalised_by: float | None = None
    ) -> Timeline:
        """``normalised_by``: the raw mean intensity to divide by (default: this window's own), so a window
        that continues another one (``simulate advance``) keeps the first window's time scale."""
        intensity, lifts = raw_intensity(start_us, end_us, calendar)
        intensity = intensity / (normalised_by if normalised_by is not None else intensity.mean())
        cumulative = np.concatenate([[0.0], np.cumsum(intensity / HOURS_PER_WEEK)])
        return cls(start_us, end_us, intensity, cumulative, lifts)

    @property
    def total_weeks(self) -> float:
        return float(self.cumulative_weeks[-1])

    def hour_of(self, times_us: np.ndarray) -> np.ndarray:
        return np.clip((times_us - self.start_us) // US_PER_HOUR, 0, self.intensity.size - 1)

    def to_operational(self, times_us: np.ndarray) -> np.ndarray:
        """Λ(t) in weeks for calendar times inside the window."""
        hour = self.hour_of(times_us)
        within = (times_us - self.start_us - hour * US_PER_HOUR) / US_PER_HOUR
        return self.cumulative_weeks[hour] + within * self.intensity[hour] / HOURS_PER_WEEK

    def to_calendar(self, weeks: np.ndarray) -> np.ndarray:
        """Λ⁻¹: calendar time (µs) for operational times in [0, total_weeks)."""
        hour = np.clip(
            np.searchsorted(self.cumulative_weeks, weeks, side="right") - 1, 0, self.intensity.size - 1
        )
        within = (weeks - self.cumulative_weeks[hour]) * HOURS_PER_WEEK / self.intensity[hour]
        offset = np.clip(within, 0.0, 1.0) * US_PER_HOUR
        return np.minimum(self.start_us + hour * US_PER_HOUR + offset.astype(np.int64), self.end_us - 1)
