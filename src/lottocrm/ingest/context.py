"""What row checks may consult: the clock, the time zone, and vectorised look-ups into the store and the lake.

Every look-up takes a whole column of keys and answers with a mask, so checks never loop over rows. Small
reference tables (games, draws, points of sale) are read once per import; large ones (players, identities)
are probed by the batch's keys, or by the key range when a batch carries many of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Table, select, tuple_

from lottocrm.lake.store import Lake

# Above this many distinct keys a batch fetches the whole key range instead of probing key by key.
RANGE_FETCH_THRESHOLD = 20_000
PROBE_CHUNK = 5_000
CLOCK_SKEW = dt.timedelta(minutes=5)
# Up to this many possible ids per existing id, membership is looked up in a byte map of the id range.
DENSE_KEY_SPREAD = 64
# A column is checked per distinct value when at most this share of its first rows are distinct.
DISTINCT_SAMPLE_ROWS = 10_000
FEW_DISTINCT_SHARE = 0.25


def as_numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False) if isinstance(values, pa.Array) else values.to_numpy()


def mask(values: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    """A boolean Arrow result as a numpy mask, with nulls (unknown) counted as not bad."""
    if isinstance(values, np.ndarray):
        return values.astype(bool, copy=False)
    if not pc.any(values).as_py():
        # Most checks find nothing: one scan, no copies.
        return np.zeros(len(values), dtype=bool)
    filled = pc.fill_null(values, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks()
    # Through uint8: pyarrow converts booleans to numpy via pandas, which costs seconds to import.
    return filled.cast(pa.uint8()).to_numpy(zero_copy_only=False).view(np.bool_)


def _sorted_contains(sorted_keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each value is among ``sorted_keys``, without building a hash table.

    Ids are usually dense (1..N), so a byte per id in the key range answers each value with one load; sparse
    keys fall back to a binary search.
    """
    if sorted_keys.size == 0:
        return np.zeros(values.size, dtype=bool)
    low, high = int(sorted_keys[0]), int(sorted_keys[-1])
    if high - low < DENSE_KEY_SPREAD * sorted_keys.size:
        present = np.zeros(high - low + 1, dtype=bool)
        present[sorted_keys - low] = True
        inside = (values >= low) & (values <= high)
        found = np.zeros(values.size, dtype=bool)
        found[inside] = present[values[inside] - low]
        return found
    at = np.minimum(np.searchsorted(sorted_keys, values), sorted_keys.size - 1)
    return sorted_keys[at] == values


def few_distinct(values: pa.Array) -> pa.DictionaryArray | None:
    """``values`` dictionary-encoded when a sample from the start shows few distinct values, else None.

    Regex and parsing kernels cost per value; on a column of codes, prices or game ids they run far faster
    over the distinct values, spread back with one ``take``. The sample keeps unique ids from paying for a
    dictionary.
    """
    if len(values) < DISTINCT_SAMPLE_ROWS:
        return None
    sample = values.slice(0, DISTINCT_SAMPLE_ROWS)
    if len(pc.unique(sample)) > DISTINCT_SAMPLE_ROWS * FEW_DISTINCT_SHARE:
        return None
    return pc.dictionary_encode(values)


@dataclass
class _IntKeyCache:
    low: int
    high: int
    keys: np.ndarray


@dataclass
class CheckContext:
    now: dt.datetime
    timezone: str
    connection: Connection
    lake: Lake
    duck: duckdb.DuckDBPyConnection
    _tables: dict[str, pa.Table] = field(default_factory=dict)
    _int_keys: dict[tuple[str, str], _IntKeyCache] = field(default_factory=dict)
    _lake_files: dict[str, list[str]] = field(default_factory=dict)

    @property
    def latest_allowed(self) -> dt.datetime:
        return self.now + CLOCK_SKEW

    # ---- whole small tables -------------------------------------------------------------------------------
    def reference(self, table: Table, *columns: str) -> pa.Table:
        """All rows of a small reference table (games, draws, points of sale), read once per import."""
        key = f"{table.name}:{','.join(columns)}"
        if key not in self._tables:
            rows = self.connection.execute(select(*(table.c[c] for c in columns))).all()
            self._tables[key] = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
        return self._tables[key]

    # ---- integer keys of large tables ---------------------------------------------------------------------
    def store_has_ints(self, table: Table, column: str, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Mask of the rows whose (non-null) integer key exists in ``table.column``."""
        present = pc.drop_null(values)
        if len(present) == 0:
            return np.zeros(len(values), dtype=bool)
        low, high = (int(bound.as_py()) for bound in pc.min_max(present).values())
        cached = self._int_keys.get((table.name, column))
        if cached and cached.low <= low and high <= cached.high:
            existing = cached.keys  # the usual case after the first batch: no query, no hashing
        else:
            distinct = np.sort(as_numpy(pc.unique(present)).astype(np.int64))
            existing = self._existing_ints(table, column, distinct)
        return mask(pc.is_valid(values)) & _sorted_contains(existing, as_numpy(pc.fill_null(values, 0)))

    def _existing_ints(self, table: Table, column: str, distinct: np.ndarray) -> np.ndarray:
        col = table.c[column]
        low, high = int(distinct[0]), int(distinct[-1])
        cached = self._int_keys.get((table.name, column))
        if distinct.size <= RANGE_FETCH_THRESHOLD:
            found: list[int] = []
            for start in range(0, distinct.size, PROBE_CHUNK):
                chunk = distinct[start : start + PROBE_CHUNK].tolist()
                found.extend(self.connection.execute(select(col).where(col.in_(chunk))).scalars())
            return np.sort(np.array(found, dtype=np.int64))
        if cached:
            low, high = min(low, cached.low), max(high, cached.high)
        # Straight from the driver's cursor: building a SQLAlchemy Row per key costs more than the query.
        cursor = self.connection.execute(select(col).where(col.between(low, high)).order_by(col)).cursor
        keys = np.array([key for (key,) in cursor.fetchall()], dtype=np.int64)
        self._int_keys[(table.name, column)] = _IntKeyCache(low, high, keys)
        return keys

    # ---- composite or text keys ---------------------------------------------------------------------------
    def store_has_tuples(self, table: Table, columns: tuple[str, ...], data: pa.Table) -> np.ndarray:
        """Mask of the rows whose ``columns`` tuple exists in ``table``, probed in chunks of distinct keys."""
        keys = data.select(list(columns)).drop_null()
        distinct = keys.group_by(list(columns)).aggregate([])
        if distinct.num_rows == 0:
            return np.zeros(data.num_rows, dtype=bool)
        target = tuple_(*(table.c[c] for c in columns)) if len(columns) > 1 else table.c[columns[0]]
        found: list[Any] = []
        as_rows = distinct.to_pylist()
        for start in range(0, len(as_rows), PROBE_CHUNK):
            chunk = as_rows[start : start + PROBE_CHUNK]
            probe = (
                [tuple(r[c] for c in columns) for r in chunk]
                if len(columns) > 1
                else [r[columns[0]] for r in chunk]
            )
            found.extend(
                self.connection.execute(select(*(table.c[c] for c in columns)).where(target.in_(probe)))
            )
        if not found:
            return np.zeros(data.num_rows, dtype=bool)
        existing = pa.table({c: [row[i] for row in found] for i, c in enumerate(columns)})
        existing = existing.cast(pa.schema([data.schema.field(c) for c in columns]))
        marker = existing.append_column("_found", pa.array(np.ones(existing.num_rows, dtype=bool)))
        indexed = data.select(list(columns)).append_column("_row", pa.array(np.arange(data.num_rows)))
        joined = indexed.join(marker, keys=list(columns), join_type="inner")
        result = np.zeros(data.num_rows, dtype=bool)
        result[as_numpy(joined["_row"])] = True
        return result

    # ---- the lake -----------------------------------------------------------------------------------------
    def lake_has_ids(self, table: str, column: str, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Mask of rows whose id is already in the lake table; the id range lets DuckDB skip row groups."""
        if table not in self._lake_files:
            # One snapshot per import: batches committed meanwhile by others are caught by the next import.
            self._lake_files[table] = [str(p) for p in self.lake.files(table)]
        files = self._lake_files[table]
        ids = pc.drop_null(values)
        if not files or len(ids) == 0:
            return np.zeros(len(values), dtype=bool)
        low, high = pc.min_max(ids).values()
        self.duck.register("probe_ids", pa.table({"id": pc.unique(ids)}))
        try:
            found = self.duck.sql(
                f"SELECT DISTINCT t.{column} AS id FROM read_parquet($files) t "
                f"WHERE t.{column} BETWEEN $low AND $high AND t.{column} IN (SELECT id FROM probe_ids)",
                params={"files": files, "low": low.as_py(), "high": high.as_py()},
            ).to_arrow_table()
        finally:
            self.duck.unregister("probe_ids")
        return mask(pc.is_in(values, value_set=found["id"].combine_chunks()))
