"""Writing one lake batch: month-partitioned Parquet parts in hidden files, made visible by one commit record.

See :mod:`lottocrm.lake.store` for the layout and the guarantees; this module holds the batch's writer, its
commit record and the durable-file helpers both use.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from lottocrm.lake.store import Lake

BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
PARQUET_COMPRESSION = "zstd"
PARQUET_ROW_GROUP_ROWS = 1_000_000
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


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_text_durably(text: str, final: Path) -> bool:
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
    fsync_dir(final.parent)
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
            fsync_dir(folder)
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
        if not create_text_durably(record.to_json(), record_path):
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
