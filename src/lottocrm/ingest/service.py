"""Import a file (or an Arrow table) of one kind: validate everything, load all good rows or nothing.

Atomicity and idempotency
-------------------------
The batch id is ``<kind>-<sha256 of the content>``, so importing the same bytes twice is a no-op.

* Store kinds (players, identities, consents, games, draws, points of sale): the rows and the ImportBatch
  ledger row are written in ONE database transaction; a crash anywhere loses both.
* Lake kinds (tickets, wins, sessions): the rows go to ONE lake batch, committed first; the ImportBatch row is
  written after, in its own transaction. A crash between the two leaves a committed lake batch with no ledger
  row. The re-run finds the batch in the lake (same id), writes nothing to it, and restores the ledger row
  from the counts the lake commit record carries. The opposite order could leave a ledger row for a batch the
  lake never committed, and the re-run would then skip data that is not there.

The import owns its transaction (unlike services, which never commit): the file is the unit of work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from lottocrm.audit.service import Actor, record
from lottocrm.contact_policy.service import refresh_players
from lottocrm.ingest.context import CheckContext
from lottocrm.ingest.facts_committed import FactsSeen, announce, announce_players, seen_in_lake
from lottocrm.ingest.kinds import KINDS
from lottocrm.ingest.models import ImportBatch
from lottocrm.ingest.report import ImportReport, ProblemLog
from lottocrm.ingest.sinks import LakeSink, QuarantineFile, StoreSink
from lottocrm.ingest.sources import RawChunk, Source, SourceError, content_sha256
from lottocrm.ingest.spec import KindSpec
from lottocrm.ingest.validate import DuplicateTracker, check_batch, reasons_per_row
from lottocrm.lake.store import Lake
from lottocrm.presentation.text import printable
from lottocrm.settings import Settings, get_settings

Progress = Callable[[int, int], None]
HEADER_NAMES_SHOWN = 10
HEADER_NAME_LIMIT = 40


class UnknownKind(ValueError):
    pass


class _Rejected(Exception):
    """Raised inside the load to roll the transaction or the lake batch back."""


def spec_for(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise UnknownKind(f"unknown import kind {kind!r}; known: {', '.join(KINDS)}") from None


def import_file(
    *,
    actor: Actor,
    kind: str,
    path: Path,
    engine: Engine,
    lake: Lake,
    quarantine: bool = False,
    encoding: str | None = None,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Import one CSV (plain or gzip) or Parquet file. Never raises for bad input: read the report."""
    spec = spec_for(kind)
    settings = settings or get_settings()
    # The name as a person can read it: a file name may carry terminal escapes or direction overrides.
    report = ImportReport(kind=kind, source=printable(str(path), limit=None))
    try:
        source = Source(Path(path), encoding=encoding)
    except SourceError as exc:
        report.file_error = str(exc)
        return report
    report.encoding = source.encoding

    def progress() -> None:
        if on_progress:
            on_progress(source.done, source.total)

    def chunks() -> Iterator[RawChunk]:
        for chunk in _read_ahead(source.chunks(settings.import_batch_rows)):
            yield chunk
            progress()

    return _import(
        actor=actor,
        spec=spec,
        report=report,
        header=source.header,
        chunks=chunks(),
        sha256=content_sha256(Path(path)),
        engine=engine,
        lake=lake,
        quarantine=quarantine,
        now=now,
        settings=settings,
    )


def _read_ahead(chunks: Iterator[RawChunk]) -> Iterator[RawChunk]:
    """The same chunks, the next one read on a thread while the caller validates this one.

    Arrow's readers release the GIL, so reading overlaps validation; at most one chunk waits ahead, so memory
    stays bounded by the batch size. A reading error surfaces where the chunk would have.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="import-read") as reader:
        upcoming = reader.submit(next, chunks, None)
        while (chunk := upcoming.result()) is not None:
            upcoming = reader.submit(next, chunks, None)
            yield chunk


def import_table(
    *,
    actor: Actor,
    kind: str,
    table: pa.Table,
    engine: Engine,
    lake: Lake,
    source_name: str = "table",
    quarantine: bool = False,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> ImportReport:
    """Import rows already in memory (event endpoints); the same checks and guarantees as a file."""
    spec = spec_for(kind)
    settings = settings or get_settings()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    sha256 = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()

    def chunks() -> Iterator[RawChunk]:
        first = 0
        for batch in table.to_batches(max_chunksize=settings.import_batch_rows):
            rows = np.arange(first + 1, first + batch.num_rows + 1, dtype=np.int64)
            yield RawChunk(table=pa.Table.from_batches([batch]), rows=rows)
            first += batch.num_rows

    return _import(
        actor=actor,
        spec=spec,
        report=ImportReport(kind=kind, source=printable(source_name, limit=None)),
        header=table.column_names,
        chunks=chunks(),
        sha256=sha256,
        engine=engine,
        lake=lake,
        quarantine=quarantine,
        now=now,
        settings=settings,
    )


def _header_problem(spec: KindSpec, header: list[str]) -> str | None:
    missing = [name for name in spec.required if name not in header]
    extra = [name for name in header if name not in spec.names]
    if not missing and not extra:
        return None
    parts = []
    if missing:
        parts.append("missing column(s): " + ", ".join(missing))
    if extra:
        # The header of a file that is not ours may be any text: name a few of its columns, briefly.
        shown = [printable(name, HEADER_NAME_LIMIT) for name in extra[:HEADER_NAMES_SHOWN]]
        more = f" and {len(extra) - HEADER_NAMES_SHOWN:,} more" if len(extra) > HEADER_NAMES_SHOWN else ""
        parts.append("unexpected column(s): " + ", ".join(shown) + more)
    return (
        f"row 0 (header): {'; '.join(parts)}. A {spec.name} file has the columns "
        + ", ".join(spec.names)
        + f" (see `lottocrm import {spec.name} --help`)"
    )


def _ledger_row(connection: Connection, batch_id: str) -> ImportBatch | None:
    row = connection.execute(select(ImportBatch.__table__).where(ImportBatch.id == batch_id)).first()
    return row  # type: ignore[return-value]


def _import(
    *,
    actor: Actor,
    spec: KindSpec,
    report: ImportReport,
    header: list[str],
    chunks: Iterable[RawChunk],
    sha256: str,
    engine: Engine,
    lake: Lake,
    quarantine: bool,
    now: dt.datetime | None,
    settings: Settings,
) -> ImportReport:
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    batch_id = f"{spec.name}-{sha256[:40]}"
    report.batch_id = batch_id
    with engine.connect() as connection:
        if _ledger_row(connection, batch_id) is not None:
            report.status = "already_loaded"
            return report
    if spec.destination == "lake" and lake.has_batch(spec.target, batch_id):
        _restore_ledger(spec=spec, engine=engine, lake=lake, batch_id=batch_id, sha256=sha256, now=now)
        report.status = "already_loaded"
        report.notices.append(
            "the lake held this batch without its ledger row (an earlier run was cut short)"
        )
        return report
    if problem := _header_problem(spec, header):
        report.file_error = problem
        return report

    quarantine_file = (
        QuarantineFile(settings.quarantine_dir / f"{batch_id}.csv", header) if quarantine else None
    )
    meta = {"source_name": report.source[-500:], "content_sha256": sha256}
    duck = duckdb.connect()
    duck.execute(f"SET TimeZone = '{settings.timezone}'")
    try:
        if spec.destination == "store":
            with engine.begin() as connection:
                if _ledger_row(connection, batch_id) is not None:  # another process won while we waited
                    report.status = "already_loaded"
                    return report
                ctx = CheckContext(now, settings.timezone, connection, lake, duck)
                sink = StoreSink(connection, spec)
                _stream(spec, chunks, ctx, sink, quarantine_file, report)
                refresh_players(connection, sink.player_ids)
                kept = quarantine_file.keep() if quarantine_file else None
                _insert_ledger(connection, spec, batch_id, sha256, report, now)
                _audit(connection, actor, spec, batch_id, report)
                if spec.target == "players":
                    announce_players(connection, batch_id=batch_id, rows=report.rows_loaded, seen=sink.seen)
        else:
            seen = FactsSeen(lake.fact(spec.target).id_column)
            with engine.connect() as connection, lake.writer(spec.target, batch_id=batch_id) as batch:
                ctx = CheckContext(now, settings.timezone, connection, lake, duck)
                _stream(spec, chunks, ctx, LakeSink(batch, seen), quarantine_file, report)
                kept = quarantine_file.keep() if quarantine_file else None
                batch.meta.update(meta, rows_quarantined=report.rows_quarantined)
            if batch.record is None:
                report.status = "already_loaded"
                return report
            with engine.begin() as connection:
                _insert_ledger(connection, spec, batch_id, sha256, report, now)
                _audit(connection, actor, spec, batch_id, report)
                announce(connection, table=spec.target, batch_id=batch_id, rows=report.rows_loaded, seen=seen)
    except _Rejected:
        if quarantine_file:
            quarantine_file.discard()
        report.rows_loaded = 0
        report.rows_quarantined = 0
        return report
    except IntegrityError:
        # The ledger's unique key: a concurrent import of the same content committed first.
        if quarantine_file:
            quarantine_file.discard()
        report.status = "already_loaded"
        report.rows_loaded = 0
        return report
    except BaseException:
        if quarantine_file:
            quarantine_file.discard()
        raise
    finally:
        duck.close()
    report.status = "loaded"
    report.quarantine_file = kept
    return report


def _stream(
    spec: KindSpec,
    chunks: Iterable[RawChunk],
    ctx: CheckContext,
    sink: StoreSink | LakeSink,
    quarantine_file: QuarantineFile | None,
    report: ImportReport,
) -> None:
    """Validate every chunk; write good rows while the file can still load; raise _Rejected if it cannot."""
    log = ProblemLog()
    trackers = [DuplicateTracker(key) for key in spec.unique]
    under_age = 0
    try:
        for chunk in chunks:
            if chunk.malformed:
                _log_malformed(chunk, log, quarantine_file, report)
            if chunk.table.num_rows == 0:
                continue
            checked = check_batch(chunk.table, spec, ctx, trackers)
            bad_count = int(checked.bad.sum())
            report.rows_read += chunk.table.num_rows
            report.rows_with_problems += bad_count
            log.add_findings(checked.findings, chunk.table, chunk.rows)
            if quarantine_file is None and log:
                continue  # the file is rejected; read on only to report every problem
            good = checked.data
            if bad_count:
                bad_rows = pa.array(np.flatnonzero(checked.bad))
                reasons = reasons_per_row(checked.findings, chunk.table.num_rows)
                quarantine_file.write(  # type: ignore[union-attr]
                    chunk.table.take(bad_rows), chunk.rows[bad_rows.to_numpy()], reasons.take(bad_rows)
                )
                report.rows_quarantined += bad_count
                good = checked.data.filter(pa.array(~checked.bad))
            sink.write(good)
            report.rows_loaded += good.num_rows
            if "under_age" in good.column_names:
                under_age += int(pc.sum(good["under_age"]).as_py() or 0)
    except SourceError as exc:
        report.file_error = str(exc)
    report.problems = log.problems
    if report.file_error:
        raise _Rejected
    if report.rows_read == 0 and not report.rows_with_problems:
        report.file_error = "the file has a header but no data rows"
        raise _Rejected
    if log and quarantine_file is None:
        raise _Rejected
    if under_age:
        report.notices.append(f"{under_age} player(s) under 18 loaded with under_age set (never marketed to)")


def _log_malformed(
    chunk: RawChunk, log: ProblemLog, quarantine_file: QuarantineFile | None, report: ImportReport
) -> None:
    for bad in chunk.malformed:
        log.add("*", bad.reason, np.array([bad.row]), [bad.text])
    report.rows_read += len(chunk.malformed)
    report.rows_with_problems += len(chunk.malformed)
    if quarantine_file is not None:
        empty = pa.table(
            {name: pa.nulls(len(chunk.malformed), pa.string()) for name in quarantine_file.header}
        )
        quarantine_file.write(
            empty,
            np.array([bad.row for bad in chunk.malformed], dtype=np.int64),
            pa.array([f"*: {bad.reason}" for bad in chunk.malformed]),
            raw_lines=[bad.text for bad in chunk.malformed],
        )
        report.rows_quarantined += len(chunk.malformed)


def _insert_ledger(
    connection: Connection, spec: KindSpec, batch_id: str, sha256: str, report: ImportReport, now: dt.datetime
) -> None:
    connection.execute(
        insert(ImportBatch.__table__).values(
            id=batch_id,
            kind=spec.name,
            content_sha256=sha256,
            source_name=report.source[-500:],
            rows_loaded=report.rows_loaded,
            rows_quarantined=report.rows_quarantined,
            loaded_at=now,
        )
    )


def _audit(connection: Connection, actor: Actor, spec: KindSpec, batch_id: str, report: ImportReport) -> None:
    record(
        connection,
        actor=actor,
        action="ingest.import",
        detail={
            "kind": spec.name,
            "batch_id": batch_id,
            "source": report.source[-200:],
            "rows_loaded": report.rows_loaded,
            "rows_quarantined": report.rows_quarantined,
        },
    )


def _restore_ledger(
    *, spec: KindSpec, engine: Engine, lake: Lake, batch_id: str, sha256: str, now: dt.datetime
) -> None:
    record = lake.record(spec.target, batch_id)
    assert record is not None
    seen = seen_in_lake(
        lake, table=spec.target, batch_id=batch_id, id_column=lake.fact(spec.target).id_column
    )
    with engine.begin() as connection:
        announce(connection, table=spec.target, batch_id=batch_id, rows=record.rows, seen=seen)
        connection.execute(
            insert(ImportBatch.__table__).values(
                id=batch_id,
                kind=spec.name,
                content_sha256=sha256,
                source_name=str(record.meta.get("source_name", "")),
                rows_loaded=record.rows,
                rows_quarantined=int(record.meta.get("rows_quarantined", 0)),  # type: ignore[call-overload]
                loaded_at=now,
            )
        )
