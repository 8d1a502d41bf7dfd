"""The fact lake: append-only Parquet, partitioned by month, committed batch by batch.

Layout under the lake folder::

    tickets/month=2026-10/part-<batch>-<n>.parquet   data files
    tickets/_batches/<batch>.json                    commit records (the only thing readers trust)

A batch is committed by atomically renaming its commit record into ``_batches/`` after every data file it
lists is durably on disk. Readers list commit records, never folders, so a writer killed at any point leaves
either a whole batch or nothing visible; orphan files it left behind are removed by :meth:`Lake.vacuum`.
Compaction writes merged files plus one record that supersedes the batches it merged.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lottocrm.lake.schemas import FACT_TABLES, FactTable

BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
PARQUET_OPTIONS = {"compression": "zstd", "row_group_size": 1_000_000}


class LakeError(RuntimeError):
    """A lake operation was refused: bad batch id, wrong schema, unknown table."""


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    table: str
    files: tuple[str, ...]
    rows: int
    committed_at: str
    supersedes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> str:
        return json.dumps(
            {
                "batch_id": self.batch_id,
                "table": self.table,
                "files": list(self.files),
                "rows": self.rows,
                "committed_at": self.committed_at,
                "supersedes": list(self.supersedes),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> BatchRecord:
        raw = json.loads(text)
        return cls(
            batch_id=raw["batch_id"],
            table=raw["table"],
            files=tuple(raw["files"]),
            rows=int(raw["rows"]),
            committed_at=raw["committed_at"],
            supersedes=tuple(raw.get("supersedes", ())),
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_parquet_durably(table: pa.Table, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    with open(temp, "wb") as sink:
        pq.write_table(table, sink, **PARQUET_OPTIONS)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(temp, final)
    _fsync_dir(final.parent)


def _write_text_durably(text: str, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    with open(temp, "w", encoding="utf-8") as sink:
        sink.write(text)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(temp, final)
    _fsync_dir(final.parent)


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # ---- layout -------------------------------------------------------------------------------------------
    def fact(self, table: str) -> FactTable:
        try:
            return FACT_TABLES[table]
        except KeyError:
            raise LakeError(f"unknown lake table {table!r}; known: {', '.join(FACT_TABLES)}") from None

    def _table_dir(self, table: str) -> Path:
        return self.root / self.fact(table).name

    def _records_dir(self, table: str) -> Path:
        return self._table_dir(table) / "_batches"

    @contextmanager
    def _table_lock(self, table: str) -> Iterator[None]:
        # Serialises compaction and vacuum of one table; appends of distinct batches need no lock.
        lock_path = self._table_dir(table) / "_lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ---- reading the commit log ---------------------------------------------------------------------------
    def records(self, table: str) -> list[BatchRecord]:
        """Every committed record of ``table``, including superseded ones, oldest first."""
        folder = self._records_dir(table)
        if not folder.is_dir():
            return []
        found = [
            BatchRecord.from_json(path.read_text(encoding="utf-8"))
            for path in folder.glob("*.json")
            if not path.name.startswith(".")
        ]
        return sorted(found, key=lambda r: (r.committed_at, r.batch_id))

    def live_records(self, table: str) -> list[BatchRecord]:
        records = self.records(table)
        superseded = {batch for record in records for batch in record.supersedes}
        return [record for record in records if record.batch_id not in superseded]

    def has_batch(self, table: str, batch_id: str) -> bool:
        return (self._records_dir(table) / f"{batch_id}.json").exists()

    def files(self, table: str) -> list[Path]:
        """The data files a reader should scan: exactly those of live committed batches."""
        base = self._table_dir(table)
        return [base / name for record in self.live_records(table) for name in record.files]

    def row_count(self, table: str) -> int:
        return sum(record.rows for record in self.live_records(table))

    # ---- writing ------------------------------------------------------------------------------------------
    def _conform(self, table: str, data: pa.Table) -> pa.Table:
        schema = self.fact(table).schema
        missing = [name for name in schema.names if name not in data.column_names]
        if missing:
            raise LakeError(f"{table}: batch lacks columns {missing}")
        try:
            return data.select(schema.names).cast(schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise LakeError(f"{table}: batch does not fit the lake schema: {exc}") from None

    def append(self, table: str, data: pa.Table, *, batch_id: str) -> BatchRecord | None:
        """Commit ``data`` as one batch. Returns None if this batch id was committed before (idempotent)."""
        if not BATCH_ID.match(batch_id):
            raise LakeError(f"invalid batch id {batch_id!r}: letters, digits, '_', '.', '-' only")
        if self.has_batch(table, batch_id):
            return None
        fact = self.fact(table)
        data = self._conform(table, data)
        months = pc.strftime(data[fact.partition_column], format="%Y-%m")
        names: list[str] = []
        for part, month in enumerate(sorted(pc.unique(months).to_pylist())):
            chunk = data.filter(pc.equal(months, month))
            name = f"month={month}/part-{batch_id}-{part:03d}.parquet"
            _write_parquet_durably(chunk, self._table_dir(table) / name)
            names.append(name)
        record = BatchRecord(
            batch_id=batch_id,
            table=table,
            files=tuple(names),
            rows=data.num_rows,
            committed_at=dt.datetime.now(dt.UTC).isoformat(),
        )
        _write_text_durably(record.to_json(), self._records_dir(table) / f"{batch_id}.json")
        return record

    # ---- maintenance --------------------------------------------------------------------------------------
    def compact(self, table: str, *, target_rows: int = 5_000_000) -> BatchRecord | None:
        """Merge the live batches of each month into few large files; one record supersedes them all."""
        with self._table_lock(table):
            live = self.live_records(table)
            if len(live) < 2:
                return None
            base = self._table_dir(table)
            batch_id = "compact-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
            by_month: dict[str, list[Path]] = {}
            for record in live:
                for name in record.files:
                    by_month.setdefault(name.split("/", 1)[0], []).append(base / name)
            names: list[str] = []
            for month_dir, paths in sorted(by_month.items()):
                merged = pq.ParquetDataset(paths).read()
                for part, start in enumerate(range(0, max(merged.num_rows, 1), target_rows)):
                    name = f"{month_dir}/part-{batch_id}-{part:03d}.parquet"
                    _write_parquet_durably(merged.slice(start, target_rows), base / name)
                    names.append(name)
            record = BatchRecord(
                batch_id=batch_id,
                table=table,
                files=tuple(names),
                rows=sum(r.rows for r in live),
                committed_at=dt.datetime.now(dt.UTC).isoformat(),
                supersedes=tuple(r.batch_id for r in live),
            )
            _write_text_durably(record.to_json(), self._records_dir(table) / f"{batch_id}.json")
            return record

    def vacuum(self, table: str) -> list[Path]:
        """Delete files no live record lists: leftovers of killed writers and of superseded batches.

        Keeps the records of superseded batches (tiny) so a re-import of an already-loaded file stays a no-op.
        Run it when no reader started before the last compaction is still scanning.
        """
        with self._table_lock(table):
            base = self._table_dir(table)
            keep = {base / name for record in self.live_records(table) for name in record.files}
            removed = []
            for path in base.glob("month=*/*"):
                if path not in keep:
                    path.unlink()
                    removed.append(path)
            for temp in self._records_dir(table).glob(".*.tmp"):
                temp.unlink()
                removed.append(temp)
            return removed

    # ---- querying -----------------------------------------------------------------------------------------
    def scan_sql(self, table: str) -> str:
        """A DuckDB table expression over the live files (or an empty relation of the right schema)."""
        paths = self.files(table)
        if not paths:
            columns = ", ".join(
                f"NULL::{_duckdb_type(f.type)} AS {f.name}" for f in self.fact(table).schema
            )
            return f"(SELECT {columns} WHERE false)"
        quoted = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
        return f"read_parquet([{quoted}])"

    def connect(self, connection: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per fact table over its live files."""
        con = connection or duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for name in FACT_TABLES:
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {self.scan_sql(name)}")
        return con


def _duckdb_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ"
    return {
        pa.int16(): "SMALLINT",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.string(): "VARCHAR",
        pa.bool_(): "BOOLEAN",
    }[arrow_type]
