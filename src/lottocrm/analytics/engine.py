"""Engines that run the analytics' Ibis expressions over the lake: DuckDB (default) or PySpark.

Both read the same Parquet files the lake lists for its live batches. Operational tables (players, …) reach
the engine as Arrow extracts: DuckDB registers them in memory, Spark reads them from a Parquet copy in a
scratch folder — never through DuckDB's sqlite/postgres extensions.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from lottocrm.lake.schemas import FACT_TABLES
from lottocrm.lake.store import Lake

if TYPE_CHECKING:
    from collections.abc import Callable

ENGINES = ("duckdb", "pyspark")


class EngineError(RuntimeError):
    """The chosen engine cannot start here; the message says what is missing."""


@ibis.udf.scalar.builtin(name="epoch")
def _duckdb_epoch(timestamp: dt.Timestamp(timezone="UTC")) -> dt.float64:  # type: ignore[valid-type,empty-body]
    """DuckDB's own EPOCH on a timestamp with time zone.

    Ibis's portable ``epoch_seconds`` first casts to a naive TIMESTAMP, which in DuckDB goes through ICU's
    calendar for every row (about 4× the cost of the scan); EPOCH reads the instant directly, same value.
    """


@dataclass
class EngineSession:
    """An Ibis backend with the lake's fact tables and the given Arrow tables registered by name."""

    name: str
    backend: Any
    epoch_seconds: Callable[[ir.TimestampValue], ir.NumericValue]
    _close: Callable[[], None] = field(repr=False)

    def close(self) -> None:
        self._close()


def open_engine(name: str, *, lake: Lake, tables: dict[str, pa.Table], spark: Any = None) -> EngineSession:
    """Start ``name`` over ``lake`` with ``tables`` (name → Arrow table) beside the fact tables.

    For PySpark, ``spark`` is an existing SparkSession to reuse (tests share one); otherwise a local one is
    started (see ``local_spark``) and stopped on close.
    """
    if name == "duckdb":
        return _open_duckdb(lake, tables)
    if name == "pyspark":
        return _open_pyspark(lake, tables, spark)
    raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


def _open_duckdb(lake: Lake, tables: dict[str, pa.Table]) -> EngineSession:
    import duckdb

    connection = lake.connect(duckdb.connect())
    for table_name, data in tables.items():
        connection.register(table_name, data)
    return EngineSession(
        name="duckdb",
        backend=ibis.duckdb.from_connection(connection),
        epoch_seconds=_duckdb_epoch,
        _close=connection.close,
    )


def local_spark(*, app_name: str = "lottocrm", shuffle_partitions: int = 4) -> Any:
    """A local[2] SparkSession in UTC, without the web UI, with few shuffle partitions (small data here)."""
    if shutil.which("java") is None:
        raise EngineError("the pyspark engine needs Java (a JDK 17 on PATH); none was found")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("the pyspark engine needs pyspark: install lottocrm[spark]") from None
    return (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
        .getOrCreate()
    )


def _open_pyspark(lake: Lake, tables: dict[str, pa.Table], spark: Any) -> EngineSession:
    own_session = spark is None
    session = local_spark() if own_session else spark
    scratch = Path(tempfile.mkdtemp(prefix="lottocrm-spark-"))
    backend = ibis.pyspark.connect(session)
    registered: list[str] = []
    try:
        for table_name, fact in FACT_TABLES.items():
            paths = [str(path) for path in lake.files(table_name)]
            if paths:
                frame = session.read.parquet(*paths)
            else:
                frame = session.createDataFrame([], _spark_schema(fact.schema))
            frame.createOrReplaceTempView(table_name)
            registered.append(table_name)
        for table_name, data in tables.items():
            path = scratch / f"{table_name}.parquet"
            pq.write_table(data, path)
            session.read.parquet(str(path)).createOrReplaceTempView(table_name)
            registered.append(table_name)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise

    def close() -> None:
        for table_name in registered:
            session.catalog.dropTempView(table_name)
        shutil.rmtree(scratch, ignore_errors=True)
        if own_session:
            session.stop()

    return EngineSession(
        name="pyspark",
        backend=backend,
        epoch_seconds=lambda timestamp: timestamp.epoch_seconds(),
        _close=close,
    )


def _spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql import types as st

    mapping = {
        pa.int16(): st.ShortType(),
        pa.int32(): st.IntegerType(),
        pa.int64(): st.LongType(),
        pa.string(): st.StringType(),
        pa.bool_(): st.BooleanType(),
    }
    return st.StructType(
        [
            st.StructField(f.name, st.TimestampType() if pa.types.is_timestamp(f.type) else mapping[f.type])
            for f in schema
        ]
    )
