"""Step-by-step computation over the lake: one Ibis backend with named intermediate tables — DuckDB by
default, or PySpark (``engine="pyspark"``, started by ``lottocrm.analytics.engine``) when data outgrows one
machine. The rules and the propensity model run on it.

Apriori and the propensity features run level by level; each level is materialised so the next one reads a
small table instead of re-deriving it: a DuckDB temporary table (Ibis 12's own ``create_table`` does not work
with DuckDB 2.0, hence the compiled ``CREATE TEMP TABLE … AS``) or, on Spark, Parquet files in a scratch
folder under a temporary view.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from lottocrm.analytics.engine import EngineSession, open_engine
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.time import start_of_day_utc
from lottocrm.lake.store import Lake


def _utc(moment: dt.datetime) -> dt.datetime:
    """Spark hands back naive timestamps in its session zone, which ``local_spark`` sets to UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class LakeCompute:
    """The lake's fact tables plus registered and materialised tables, on one engine; close it when done."""

    def __init__(
        self,
        lake: Lake,
        *,
        timezone: str,
        threads: int | None = None,
        engine: str = "duckdb",
        spark: Any = None,
    ) -> None:
        self.lake = lake
        self.timezone = timezone
        self._prefix = f"_lc_{uuid.uuid4().hex[:8]}"
        self._count = 0
        self._spark: EngineSession | None = None
        self._spark_views: list[str] = []
        if engine == "duckdb":
            self.connection = lake.connect(duckdb.connect())
            if threads is not None:
                self.connection.execute(f"SET threads = {int(threads)}")
            self.backend = ibis.duckdb.from_connection(self.connection)
        else:
            # Raises EngineError for an unknown engine or a missing Java/pyspark.
            self._spark = open_engine(engine, lake=lake, tables={}, spark=spark)
            self.backend = self._spark.backend
            self._scratch = Path(tempfile.mkdtemp(prefix="lottocrm-rules-"))

    @property
    def engine(self) -> str:
        return "duckdb" if self._spark is None else self._spark.name

    def __enter__(self) -> LakeCompute:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._spark is None:
            self.connection.close()
            return
        for name in self._spark_views:
            self.backend.raw_sql(f"DROP VIEW IF EXISTS {name}")
        self._spark.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def table(self, name: str) -> ir.Table:
        return self.backend.table(name)

    def register(self, name: str, data: pa.Table) -> ir.Table:
        if self._spark is None:
            self.connection.register(name, data)
        else:
            # Through Parquet: Spark's own conversion of Arrow list columns goes through pickled numpy.
            # In a folder of its own: Spark skips files whose names start with "_", as these names do.
            folder = self._scratch / name
            folder.mkdir()
            pq.write_table(data, folder / "data.parquet")
            self._view_over_parquet(name, folder)
        return self.backend.table(name)

    def _view_over_parquet(self, name: str, path: Path) -> None:
        self.backend.raw_sql(f"CREATE OR REPLACE TEMPORARY VIEW {name} USING parquet OPTIONS (path '{path}')")
        self._spark_views.append(name)

    def name(self, hint: str) -> str:
        """A table name no other step of this connection uses."""
        self._count += 1
        return f"{self._prefix}_{hint}_{self._count}"

    def materialize(self, expression: ir.Table, hint: str = "t") -> ir.Table:
        """Run ``expression`` once into a temporary table and return that table."""
        name = self.name(hint)
        sql = self.backend.compile(expression)
        if self._spark is None:
            self.connection.execute(f'CREATE TEMP TABLE "{name}" AS {sql}')
        else:
            # Written out and read back: a view over Parquet is a leaf of the next level's plan, whereas a
            # view over a query (even a cached one) is expanded into it, and Apriori's self-joins of those
            # expansions grow the plan Spark analyses exponentially with the level.
            path = self._scratch / name
            self.backend.raw_sql(f"INSERT OVERWRITE DIRECTORY '{path}' USING parquet {sql}")
            self._view_over_parquet(name, path)
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
        first = _utc(first)
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
        last = _utc(self.table("tickets").sold_at.max().to_pyarrow().as_py())
        return last.astimezone(ZoneInfo(self.timezone)).date() + dt.timedelta(days=1)
