"""Day arithmetic shared by the analytics: day numbers and the as-of cut-off in the operator's zone.

Analytics count days as whole local days since 1970-01-01 ("day numbers"), which every engine handles the
same way. An as-of date means "everything before local midnight that starts it"; that midnight comes from
:mod:`lottocrm.clock` (the one source of operator day bounds), in the zone the caller names.
"""

from __future__ import annotations

import datetime as dt

from lottocrm import clock

EPOCH = dt.date(1970, 1, 1)
SECONDS_PER_DAY = 86_400


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def day_of_number(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=number)


def start_of_day_utc(day: dt.date, timezone: str) -> dt.datetime:
    """The UTC instant at which ``day`` begins in ``timezone``: the as-of cut-off."""
    start, _ = clock.day_bounds(day, zone=timezone)
    return start


def utc_offset_at_start_of(day: dt.date, timezone: str) -> int:
    """Seconds ``timezone`` is ahead of UTC when ``day`` begins: what turns a UTC instant into a local day
    number in an engine expression (exact for zones without daylight saving, as Europe/Moscow since 2014)."""
    offset = start_of_day_utc(day, timezone).astimezone(clock.zone_named(timezone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())
