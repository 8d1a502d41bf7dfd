"""Bulk write-back of a mart to ``player_analytics``, versioned by as-of date.

Rerunning a date replaces its rows: delete then insert in chunks, inside the caller's transaction, so a
failure leaves the previous version untouched and a rerun never duplicates. The write is announced
(``analytics.record_written``) in the same transaction, so whatever depends on the record (the dashboard's
segment reports, later journeys) is refreshed only once it is committed; and it is logged, with that
event's id, in ``player_analytics_writes``, whose rows are the record's version (``record_version``).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pyarrow as pa
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.events import AnalyticalRecordWritten
from lottocrm.analytics.mart.models import PlayerAnalytics, PlayerAnalyticsWrite
from lottocrm.events.outbox import emit

CHUNK_ROWS = 20_000


def replace_snapshot(session: Session, *, as_of: dt.date, mart: pa.Table) -> int:
    """Replace the rows of ``as_of`` with ``mart``; returns the rows written. The caller commits."""
    table = PlayerAnalytics.__table__
    session.execute(delete(table).where(table.c.as_of == as_of))
    statement = insert(table)
    for batch in mart.to_batches(max_chunksize=CHUNK_ROWS):
        rows = batch.to_pylist()
        for row in rows:
            row["as_of"] = as_of
        if rows:
            session.execute(statement, rows)
    # The write's identity versions what depends on the record (the report cache) and is the event's id.
    write_id, written_at = uuid.uuid4(), clock.now()
    emit(
        session,
        AnalyticalRecordWritten(as_of=as_of, players=mart.num_rows),
        event_id=write_id,
        occurred_at=written_at,
    )
    writes = PlayerAnalyticsWrite.__table__
    session.execute(delete(writes).where(writes.c.as_of == as_of))
    session.execute(
        insert(writes).values(
            as_of=as_of, event_id=str(write_id), players=mart.num_rows, written_at=written_at
        )
    )
    return mart.num_rows


def record_version(connection: Connection) -> str:
    """Changes with every write-back: the event id of each as-of date's latest write, in date order."""
    writes = connection.execute(
        select(PlayerAnalyticsWrite.as_of, PlayerAnalyticsWrite.event_id).order_by(PlayerAnalyticsWrite.as_of)
    ).all()
    return ";".join(f"{as_of.isoformat()}={event_id}" for as_of, event_id in writes)
