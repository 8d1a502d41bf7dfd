"""The operator's wall clock for arrays of UTC microseconds.

Draw times, shopping hours and calendar months are the operator's local ones (the zone of
:mod:`lottocrm.clock`), and the simulator handles millions of moments at once. Offsets are looked up once per
calendar day (at noon UTC), so a day of a DST change is off by the change for the hours around it: good
enough for simulated behaviour, exact for zones without DST such as Moscow.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from lottocrm import clock

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
_NOON = 43_200


def _offsets_us(days: np.ndarray) -> np.ndarray:
    """The zone's UTC offset, in microseconds, on each day number (days since 1970-01-01)."""
    if days.size == 0:
        return np.zeros(0, dtype=np.int64)
    zone = clock.operator_zone()
    first, last = int(days.min()), int(days.max())
    table = np.array(
        [
            int(
                dt.datetime.fromtimestamp(day * 86_400 + _NOON, dt.UTC)
                .astimezone(zone)
                .utcoffset()
                .total_seconds()
            )  # type: ignore[union-attr]
            for day in range(first, last + 1)
        ],
        dtype=np.int64,
    )
    return table[days - first] * US_PER_SECOND


def to_local_us(times_us: np.ndarray) -> np.ndarray:
    """UTC microseconds → the same moments on the operator's wall clock (still counted from the epoch)."""
    return times_us + _offsets_us(times_us // US_PER_DAY)


def from_local_us(local_us: np.ndarray) -> np.ndarray:
    """Wall-clock microseconds of the operator → UTC microseconds."""
    return local_us - _offsets_us(local_us // US_PER_DAY)
