"""The fact lake: append-only Parquet, partitioned by month, committed batch by batch.

Layout under the lake folder::

    tickets/month=2026-10/part-<batch>-<n>.parquet   data files
    tickets/_batches/<batch>.json                    commit records (the only thing readers trust)

A batch is written by :meth:`Lake.writer` in as many chunks as the caller likes (a file larger than memory is
one batch) into hidden temporary files. Commit renames them to their final names, then atomically creates the
batch's commit record in ``_batches/`` once every data file it lists is durably on disk. Readers list commit
records, never folders, so a writer killed at any point leaves either a whole batch or nothing visible; orphan
files it left behind are removed by :meth:`Lake.vacuum`.
Compaction writes merged files plus one record that supersedes the batches it merged; it sorts each month by
player, so a per-player read (the contact-centre 360 view) skips most row groups on their min/max statistics.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from lottocrm.lake.schemas import FACT_TABLES, FactTable
from lottocrm.lake.writer import (
    BATCH_ID,
    DEFAULT_FILE_ROWS,
    BatchRecord,
    BatchWriter,
    LakeError,
    fsync_dir,
)

# Compacted files are sorted by player: small row groups let ``WHERE player_id = ?`` read a sliver of a month.
COMPACT_ROW_GROUP_ROWS = 131_072
# Whole row groups per chunk handed to the writer, so only a month's last row group is short.
COMPACT_CHUNK_ROWS = 8 * COMPACT_ROW_GROUP_ROWS
COMPACT_MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class TableStats:
    table: str
    live_batches: int
    superseded_batches: int
    files: int
    rows: int
    bytes: int
    months: tuple[str, ...]
    orphan_files: int


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
    def _table_lock(self, table: str, *, exclusive: bool) -> Iterator[None]:
        # Writers share the lock; compaction and vacuum take it alone, so vacuum never deletes the hidden
        # files of a writer still running. flock dies with its process, so a killed writer blocks nobody.
        lock_path = self._table_dir(table) / "_lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
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

    def record(self, table: str, batch_id: str) -> BatchRecord | None:
        path = self._records_dir(table) / f"{batch_id}.json"
        return BatchRecord.from_json(path.read_text(encoding="utf-8")) if path.exists() else None

    def files(self, table: str) -> list[Path]:
        """The data files a reader should scan: exactly those of live committed batches."""
        base = self._table_dir(table)
        return [base / name for record in self.live_records(table) for name in record.files]

    def batch_files(self, table: str, batch_id: str) -> list[Path] | None:
        """The data files one committed batch wrote; None when the batch is unknown or a compaction has
        since replaced its files (read the table's live files instead)."""
        record = self.record(table, batch_id)
        if record is None:
            return None
        paths = [self._table_dir(table) / name for name in record.files]
        return paths if all(path.exists() for path in paths) else None

    def row_count(self, table: str) -> int:
        return sum(record.rows for record in self.live_records(table))

    def stats(self, table: str) -> TableStats:
        records = self.records(table)
        live = self.live_records(table)
        files = self.files(table)
        listed = set(files)
        on_disk = [p for p in self._table_dir(table).glob("month=*/*") if p.is_file()]
        return TableStats(
            table=table,
            live_batches=len(live),
            superseded_batches=len(records) - len(live),
            files=len(files),
            rows=sum(r.rows for r in live),
            bytes=sum(p.stat().st_size for p in files),
            months=tuple(sorted({p.parent.name.removeprefix("month=") for p in files})),
            orphan_files=sum(1 for p in on_disk if p not in listed),
        )

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

    @contextmanager
    def writer(
        self, table: str, *, batch_id: str, file_rows: int = DEFAULT_FILE_ROWS
    ) -> Iterator[BatchWriter]:
        """Write one batch in chunks: committed when the block exits cleanly, never visible if it raises.

        After the block, ``writer.record`` is the commit record, or None if a concurrent writer committed the
        same batch id first (the batch is then identical, so nothing is lost).
        """
        self._check_batch_id(batch_id)
        if self.has_batch(table, batch_id):
            raise LakeError(f"{table}: batch {batch_id} is already committed")
        with self._table_lock(table, exclusive=False):
            writer = BatchWriter(self, table, batch_id, file_rows=file_rows)
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.abort()
                raise

    def append(self, table: str, data: pa.Table, *, batch_id: str) -> BatchRecord | None:
        """Commit ``data`` as one batch. Returns None if this batch id was committed before (idempotent)."""
        self._check_batch_id(batch_id)
        if self.has_batch(table, batch_id):
            return None
        with self.writer(table, batch_id=batch_id) as batch:
            batch.write(data)
        return batch.record

    @staticmethod
    def _check_batch_id(batch_id: str) -> None:
        if not BATCH_ID.match(batch_id):
            raise LakeError(f"invalid batch id {batch_id!r}: letters, digits, '_', '.', '-' only")

    # ---- maintenance --------------------------------------------------------------------------------------
    def compact(self, table: str, *, target_rows: int = DEFAULT_FILE_ROWS) -> BatchRecord | None:
        """Merge the live batches of each month into few large files; one record supersedes them all.

        Each month comes out sorted by player, then time (anonymous rows last), in row groups of
        COMPACT_ROW_GROUP_ROWS. DuckDB sorts one month at a time within its memory limit, spilling to disk
        beyond it, and hands the rows over in record batches, so memory is bounded whatever the month's size.
        """
        with self._table_lock(table, exclusive=True):
            live = self.live_records(table)
            if len(live) < 2:
                return None
            fact = self.fact(table)
            base = self._table_dir(table)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
            batch_id = f"compact-{stamp}-{uuid.uuid4().hex[:8]}"
            by_month: dict[str, list[str]] = {}
            for record in live:
                for name in record.files:
                    by_month.setdefault(name.split("/", 1)[0], []).append(str(base / name))
            writer = BatchWriter(
                self,
                table,
                batch_id,
                file_rows=target_rows,
                row_group_rows=COMPACT_ROW_GROUP_ROWS,
                supersedes=tuple(r.batch_id for r in live),
            )
            con = duckdb.connect()
            try:
                con.execute("SET TimeZone = 'UTC'")
                con.execute(f"SET memory_limit = '{COMPACT_MEMORY_LIMIT}'")
                for _month, paths in sorted(by_month.items()):
                    month_rows = con.sql(
                        "SELECT * FROM read_parquet($paths, hive_partitioning = false) "
                        f"ORDER BY player_id NULLS LAST, {fact.partition_column}, {fact.id_column}",
                        params={"paths": paths},
                    ).to_arrow_reader(COMPACT_CHUNK_ROWS)
                    for chunk in month_rows:
                        writer.write(chunk)
                expected = sum(r.rows for r in live)
                if writer.rows != expected:
                    raise LakeError(f"{table}: compaction read {writer.rows} rows, records list {expected}")
                return writer.commit()
            except BaseException:
                writer.abort()
                raise
            finally:
                con.close()

    def vacuum(self, table: str) -> list[Path]:
        """Delete files no live record lists: leftovers of killed writers and of superseded batches.

        Keeps the records of superseded batches (tiny) so a re-import of an already-loaded file stays a no-op.
        Waits for running writers (they hold the table lock shared). Run it when no reader started before the
        last compaction is still scanning.
        """
        with self._table_lock(table, exclusive=True):
            base = self._table_dir(table)
            keep = {base / name for record in self.live_records(table) for name in record.files}
            removed = []
            for path in base.glob("month=*/*"):
                if path not in keep:
                    path.unlink()
                    removed.append(path)
            for folder in base.glob("month=*"):
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
            for temp in self._records_dir(table).glob(".*.tmp"):
                temp.unlink()
                removed.append(temp)
            return removed

    def drop(self, table: str) -> None:
        """Remove every batch of ``table`` at once (a replaced simulation owns all its facts).

        The table folder is renamed aside in one step, so readers see the whole table or an empty one, never
        part of it; the renamed folder is deleted afterwards. Waits for running writers.
        """
        base = self._table_dir(table)
        if not base.exists():
            return
        with self._table_lock(table, exclusive=True):
            aside = self.root / f".dropped-{table}-{uuid.uuid4().hex}"
            os.rename(base, aside)
            fsync_dir(self.root)
        shutil.rmtree(aside)

    # ---- querying -----------------------------------------------------------------------------------------
    def scan_sql(self, table: str) -> str:
        """A DuckDB table expression over the live files (or an empty relation of the right schema)."""
        paths = self.files(table)
        if not paths:
            columns = ", ".join(f"NULL::{_duckdb_type(f.type)} AS {f.name}" for f in self.fact(table).schema)
            return f"(SELECT {columns} WHERE false)"
        quoted = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
        # The month lives in each row's own timestamp; DuckDB must not add a "month" column from the folders.
        return f"read_parquet([{quoted}], hive_partitioning = false)"

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
