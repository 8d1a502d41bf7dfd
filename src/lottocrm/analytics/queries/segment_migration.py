"""How players moved between lifecycle segments from the second-latest to the latest as-of date.

Counted by the mart's own ``migration_matrix``, so the dashboard and ``lottocrm segments migration`` count
the same way. The dates compared travel with the result, in its schema's metadata (``compared``), so a
stored result says what it compared.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

import ibis
import pyarrow as pa
from sqlalchemy import Connection, select

from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.segments import migration_matrix
from lottocrm.analytics.queries.base import Source, StoreQuery

MIGRATION_SCHEMA = pa.schema(
    [("from_segment", pa.string()), ("to_segment", pa.string()), ("players", pa.int64())]
)


def _snapshot(connection: Connection, as_of: dt.date) -> pa.Table:
    rows = connection.execute(
        select(PlayerAnalytics.player_id, PlayerAnalytics.segment).where(PlayerAnalytics.as_of == as_of)
    ).all()
    return pa.table(
        {
            "player_id": pa.array([row.player_id for row in rows], pa.int64()),
            "segment": pa.array([row.segment for row in rows], pa.string()),
        }
    )


def compared(table: pa.Table) -> tuple[dt.date, dt.date] | None:
    """The (earlier, later) dates a migration result compares; None while fewer than two were written."""
    metadata = table.schema.metadata or {}
    if b"earlier" not in metadata:
        return None
    return dt.date.fromisoformat(metadata[b"earlier"].decode()), dt.date.fromisoformat(
        metadata[b"later"].decode()
    )


class SegmentMigrationQuery(StoreQuery):
    kind: Literal["segment_migration"] = "segment_migration"
    sources: ClassVar = frozenset({Source.RECORD})

    def calculate(self, connection: Connection) -> pa.Table:
        """(from_segment, to_segment, players) between the two latest as-of dates; no rows (and no
        ``compared`` dates) while fewer than two dates are written back."""
        dates = connection.scalars(
            select(PlayerAnalytics.as_of).distinct().order_by(PlayerAnalytics.as_of.desc()).limit(2)
        ).all()
        if len(dates) < 2:
            return MIGRATION_SCHEMA.empty_table()
        later, earlier = dates
        matrix = migration_matrix(
            ibis.memtable(_snapshot(connection, earlier)), ibis.memtable(_snapshot(connection, later))
        )
        backend = ibis.duckdb.connect()
        try:
            table = backend.to_pyarrow(matrix.order_by("from_segment", "to_segment"))
        finally:
            backend.disconnect()
        return table.cast(MIGRATION_SCHEMA).replace_schema_metadata(
            {"earlier": earlier.isoformat(), "later": later.isoformat()}
        )
