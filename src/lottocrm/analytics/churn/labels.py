"""The churn label: no purchase in the ``window_days`` local days that start on the as-of date.

A label is only known once the whole window lies inside the data, so an as-of date whose window runs past the
lake's last ticket is refused rather than labelled "churned" for want of data.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
import numpy as np

from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.time import start_of_day_utc
from lottocrm.lake.store import Lake

DEFAULT_WINDOW_DAYS = 90


def check_window(window_days: int) -> None:
    if window_days <= 0:
        raise AnalyticsInputError(f"the churn window must be at least one day, got {window_days}")


class Labels:
    """Who bought in a window, from the lake's tickets (one DuckDB connection, closed with ``close``)."""

    def __init__(self, *, lake: Lake, timezone: str) -> None:
        self._lake = lake
        self._timezone = timezone
        self._connection = lake.connect(duckdb.connect())

    def close(self) -> None:
        self._connection.close()

    def last_sale_day(self) -> dt.date:
        """Local day of the lake's last ticket; refuses an empty lake."""
        if self._lake.row_count("tickets") == 0:
            raise AnalyticsInputError(
                f"the lake at {self._lake.root} holds no tickets: import or simulate some first"
            )
        row = self._connection.execute("SELECT max(sold_at) FROM tickets").fetchone()
        assert row is not None and row[0] is not None
        last: dt.datetime = row[0]
        return last.astimezone(ZoneInfo(self._timezone)).date()

    def check_observable(self, as_of: dt.date, window_days: int) -> None:
        check_window(window_days)
        last_day = self.last_sale_day()
        window_last = as_of + dt.timedelta(days=window_days - 1)
        if window_last > last_day:
            latest = last_day - dt.timedelta(days=window_days - 1)
            raise AnalyticsInputError(
                f"churn labels for as-of {as_of} need tickets through {window_last} "
                f"({window_days}-day window), but the last ticket in the lake was sold on {last_day}: "
                f"choose an as-of date on or before {latest}, or a shorter --window-days"
            )

    def churned(self, player_ids: np.ndarray, *, as_of: dt.date, window_days: int) -> np.ndarray:
        """True where the player bought nothing in the window (call ``check_observable`` first)."""
        start = start_of_day_utc(as_of, self._timezone)
        end = start_of_day_utc(as_of + dt.timedelta(days=window_days), self._timezone)
        bought = self._connection.execute(
            "SELECT DISTINCT player_id FROM tickets "
            "WHERE player_id IS NOT NULL AND sold_at >= ? AND sold_at < ?",
            [start, end],
        ).fetchnumpy()["player_id"]
        return ~np.isin(player_ids, np.asarray(bought, dtype=np.int64))
