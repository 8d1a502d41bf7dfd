"""Bulk write-back of a mart to ``player_analytics``, versioned by as-of date.

Rerunning a date replaces its rows: delete then insert in chunks, inside the caller's transaction, so a
failure leaves the previous version untouched and a rerun never duplicates. The write is announced
(``analytics.record_written``) in the same transaction, so whatever depends on the record (the dashboard's
segment migration, later journeys) is refreshed only once it is committed.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from lottocrm.analytics.events import AnalyticalRecordWritten
from lottocrm.analytics.mart.models import PlayerAnalytics
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
    emit(session, AnalyticalRecordWritten(as_of=as_of, players=mart.num_rows))
    return mart.num_rows
