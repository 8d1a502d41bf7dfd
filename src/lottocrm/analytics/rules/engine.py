"""One DuckDB connection over the lake, driven through Ibis, with named intermediate tables.

Apriori and the propensity features run level by level; each level is materialised as a temporary table so
the next one reads a small table instead of re-deriving it (Ibis 12's own ``create_table`` does not work with
DuckDB 2.0, hence the compiled ``CREATE TEMP TABLE … AS``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from lottocrm.analytics.mart.record import start_of_day_utc
from lottocrm.analytics.rules.errors import AnalyticsInputError
from lottocrm.lake.store import Lake


class LakeEngine:
    def __init__(self, lake: Lake, *, timezone: str, threads: int | None = None) -> None:
        self.lake = lake
        self.timezone = timezone
        self.connection = lake.connect(duckdb.connect())
        if threads is not None:
            self.connection.execute(f"SET threads = {int(threads)}")
        self.backend = ibis.duckdb.from_connection(self.connection)
        self._prefix = f"_lc_{uuid.uuid4().hex[:8]}"
        self._count = 0

    def __enter__(self) -> LakeEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    def table(self, name: str) -> ir.Table:
        return self.backend.table(name)

    def register(self, name: str, data: pa.Table) -> ir.Table:
        self.connection.register(name, data)
        return self.backend.table(name)

    def name(self, hint: str) -> str:
        """A table name no other step of this connection uses."""
        self._count += 1
        return f"{self._prefix}_{hint}_{self._count}"

    def materialize(self, expression: ir.Table, hint: str = "t") -> ir.Table:
        """Run ``expression`` once into a temporary table and return that table."""
        name = self.name(hint)
        sql = self.backend.compile(expression)
        self.connection.execute(f'CREATE TEMP TABLE "{name}" AS {sql}')
        return self.backend.table(name)

    def to_arrow(self, expression: ir.Expr) -> pa.Table:
        return self.backend.to_pyarrow(expression)

    def cutoff(self, day: dt.date) -> ir.TimestampScalar:
        """Local midnight starting ``day``, as a UTC timestamp literal: the as-of boundary."""
        return ibis.literal(start_of_day_utc(day, self.timezone), type="timestamp('UTC')")

    def check_tickets_before(self, day: dt.date, *, what: str = "as-of date") -> None:
        """Refuse a date before which the lake holds no ticket of an identified player."""
        if self.lake.row_count("tickets") == 0:
            raise AnalyticsInputError(
                f"the lake at {self.lake.root} holds no tickets: import or simulate some first"
            )
        tickets = self.table("tickets")
        first = tickets.filter(tickets.player_id.notnull()).sold_at.min().to_pyarrow().as_py()
        if first is None:
            raise AnalyticsInputError(f"the lake at {self.lake.root} holds no tickets of identified players")
        if first >= start_of_day_utc(day, self.timezone):
            raise AnalyticsInputError(
                f"{what} {day} has no tickets before it: the first ticket of a player was sold on "
                f"{first:%Y-%m-%d}"
            )

    def last_sale_day(self) -> dt.date:
        """The day after the last ticket sold: the default as-of, so a window ends with the latest data."""
        if self.lake.row_count("tickets") == 0:
            raise AnalyticsInputError(
                f"the lake at {self.lake.root} holds no tickets: import or simulate some first"
            )
        last = self.table("tickets").sold_at.max().to_pyarrow().as_py()
        return last.astimezone(ZoneInfo(self.timezone)).date() + dt.timedelta(days=1)
