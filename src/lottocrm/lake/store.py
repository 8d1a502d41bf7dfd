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
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lottocrm.lake.schemas import FACT_TABLES, FactTable

BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
PARQUET_COMPRESSION = "zstd"
PARQUET_ROW_GROUP_ROWS = 1_000_000
# Compacted files are sorted by player: small row groups let ``WHERE player_id = ?`` read a sliver of a month.
COMPACT_ROW_GROUP_ROWS = 131_072
# Whole row groups per chunk handed to the writer, so only a month's last row group is short.
COMPACT_CHUNK_ROWS = 8 * COMPACT_ROW_GROUP_ROWS
COMPACT_MEMORY_LIMIT = "1GB"
# Parquet encoding releases the GIL: month files are written on these threads, overlapping the caller's work.
WRITER_THREADS = 2
# Rows per data file before a writer starts the next one; also compaction's target.
DEFAULT_FILE_ROWS = 5_000_000


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
    # Facts about the batch its producer wants to survive a crash, e.g. an import's source name and counts.
    meta: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "batch_id": self.batch_id,
                "table": self.table,
                "files": list(self.files),
                "rows": self.rows,
                "committed_at": self.committed_at,
                "supersedes": list(self.supersedes),
                "meta": self.meta,
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
            meta=dict(raw.get("meta", {})),
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_text_durably(text: str, final: Path) -> bool:
    """Write ``final`` only if it does not exist yet; False if another writer got there first.

    ``os.link`` refuses to overwrite, so two processes committing the same batch id cannot both win.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    with open(temp, "w", encoding="utf-8") as sink:
        sink.write(text)
        sink.flush()
        os.fsync(sink.fileno())
    try:
        os.link(temp, final)
    except FileExistsError:
        return False
    finally:
        temp.unlink()
    _fsync_dir(final.parent)
    return True


def _month_keys(timestamps: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Months since year 0 (year * 12 + month - 1), computed in UTC: one small int per row to partition by."""
    micros = pc.fill_null(timestamps.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()), 0)
    months_since_1970 = micros.to_numpy().astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    return (months_since_1970 + 1970 * 12).astype(np.int32)


def _month_label(key: int) -> str:
    return f"{key // 12:04d}-{key % 12 + 1:02d}"


@dataclass
class _PartFile:
    final_name: str
    temp: Path
    sink: BinaryIO
    writer: pq.ParquetWriter
    rows: int = 0

    def close_durably(self) -> None:
        self.writer.close()
        self.sink.flush()
        os.fsync(self.sink.fileno())
        self.sink.close()


class BatchWriter:
    """Streams one lake batch in chunks; nothing is visible to readers until :meth:`commit` succeeds.

    Use through :meth:`Lake.writer`, which commits on a clean exit of the ``with`` block and removes every
    file written so far on an exception. Chunks are split by month into one open file per month, rolled over
    every ``file_rows`` rows. The months of a chunk are encoded on background threads while the caller
    prepares the next chunk; :meth:`write` first waits for the previous chunk, so memory stays bounded by two
    chunks whatever the batch size, and a failed write surfaces at the next call (or at commit).
    """

    def __init__(
        self,
        lake: Lake,
        table: str,
        batch_id: str,
        *,
        file_rows: int,
        row_group_rows: int = PARQUET_ROW_GROUP_ROWS,
        supersedes: tuple[str, ...] = (),
    ) -> None:
        self.lake = lake
        self.fact = lake.fact(table)
        self.batch_id = batch_id
        self.file_rows = file_rows
        self.row_group_rows = row_group_rows
        self.supersedes = supersedes
        self.meta: dict[str, object] = {}
        self.rows = 0
        self.record: BatchRecord | None = None
        # A per-writer token in file names: two processes writing the same batch id never clobber each other.
        self._token = uuid.uuid4().hex[:8]
        self._parts_started = 0
        self._open: dict[int, _PartFile] = {}
        self._closed: list[_PartFile] = []
        self._renamed: list[Path] = []
        self._done = False
        # One thread splits a chunk into months and waits for their files, which the encoder threads write.
        self._splitter = ThreadPoolExecutor(1, thread_name_prefix=f"lake-{self.fact.name}-split")
        self._encoders = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix=f"lake-{self.fact.name}")
        self._pending: Future[None] | None = None

    @property
    def _base(self) -> Path:
        return self.lake.root / self.fact.name

    def write(self, data: pa.Table | pa.RecordBatch) -> None:
        """Add rows to the batch; they must fit the table's schema (extra columns are dropped)."""
        if self._done:
            raise LakeError(f"batch {self.batch_id} is already committed or aborted")
        if isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        data = self.lake._conform(self.fact.name, data)
        self._finish_pending()
        if data.num_rows == 0:
            return
        self._pending = self._splitter.submit(self._write_chunk, data)
        self.rows += data.num_rows

    def _finish_pending(self) -> None:
        """Wait for the previous chunk's files; re-raise the error its threads met, if any."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _write_chunk(self, data: pa.Table) -> None:
        keys = _month_keys(data[self.fact.partition_column])
        if not np.all(keys[1:] >= keys[:-1]):
            # One stable gather instead of a filter per month: data arrives in any order.
            order = np.argsort(keys, kind="stable")
            data = data.take(pa.array(order))
            keys = keys[order]
        months, starts = np.unique(keys, return_index=True)
        ends = [*starts[1:], len(keys)]
        # Parts are opened and rolled over here, on one thread; only the encoding of distinct files is spread.
        writes = [
            write
            for month, start, end in zip(months.tolist(), starts.tolist(), ends, strict=True)
            for write in self._plan_month(month, data.slice(start, end - start))
        ]
        done, _ = wait([self._encoders.submit(write) for write in writes])
        for future in done:
            future.result()

    def _plan_month(self, month: int, rows: pa.Table) -> list[Callable[[], None]]:
        writes = []
        offset = 0
        while offset < rows.num_rows:
            part = self._open.get(month) or self._start_part(month)
            take = min(self.file_rows - part.rows, rows.num_rows - offset)
            rolls_over = part.rows + take >= self.file_rows
            writes.append(partial(self._write_part, part, rows.slice(offset, take), rolls_over))
            part.rows += take
            offset += take
            if rolls_over:
                self._closed.append(self._open.pop(month))
        return writes

    def _write_part(self, part: _PartFile, rows: pa.Table, close: bool) -> None:
        part.writer.write_table(rows, row_group_size=self.row_group_rows)
        if close:
            part.close_durably()

    def _start_part(self, month: int) -> _PartFile:
        label = _month_label(month)
        name = f"month={label}/part-{self.batch_id}-{self._token}-{self._parts_started:04d}.parquet"
        self._parts_started += 1
        final = self._base / name
        final.parent.mkdir(parents=True, exist_ok=True)
        # Hidden until commit, so a killed writer leaves only dot-files that no record names.
        temp = final.with_name(f".{final.name}.tmp")
        sink = open(temp, "wb")  # noqa: SIM115 - closed by close_durably or _discard
        writer = pq.ParquetWriter(sink, self.fact.schema, compression=PARQUET_COMPRESSION)
        part = _PartFile(final_name=name, temp=temp, sink=sink, writer=writer)
        self._open[month] = part
        return part

    def commit(self) -> BatchRecord | None:
        """Make the batch visible. None (and nothing kept) if the same batch id was committed first."""
        if self._done:
            raise LakeError(f"batch {self.batch_id} is already committed or aborted")
        self._done = True
        try:
            self._finish_pending()
        finally:
            self._stop_threads()
        for part in self._open.values():
            part.close_durably()
        self._closed.extend(self._open.values())
        self._open.clear()
        folders = set()
        for part in self._closed:
            final = self._base / part.final_name
            os.replace(part.temp, final)
            self._renamed.append(final)
            folders.add(final.parent)
        for folder in folders:
            _fsync_dir(folder)
        record = BatchRecord(
            batch_id=self.batch_id,
            table=self.fact.name,
            files=tuple(sorted(part.final_name for part in self._closed)),
            rows=self.rows,
            committed_at=dt.datetime.now(dt.UTC).isoformat(),
            supersedes=self.supersedes,
            meta=self.meta,
        )
        record_path = self.lake._records_dir(self.fact.name) / f"{self.batch_id}.json"
        if not _create_text_durably(record.to_json(), record_path):
            self._discard()
            return None
        self.record = record
        return record

    def abort(self) -> None:
        """Remove everything written; safe to call more than once and after a failed commit."""
        self._done = True
        with suppress(Exception):
            self._finish_pending()  # its files are about to be removed; the error that led here is the news
        self._stop_threads()
        self._discard()

    def _stop_threads(self) -> None:
        self._splitter.shutdown()
        self._encoders.shutdown()

    def _discard(self) -> None:
        for part in self._open.values():
            with suppress(Exception):
                part.writer.close()
            part.sink.close()
        self._closed.extend(self._open.values())
        self._open.clear()
        for part in self._closed:
            part.temp.unlink(missing_ok=True)
        for final in self._renamed:
            final.unlink(missing_ok=True)


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
            _fsync_dir(self.root)
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
