"""Lifecycle segments for the dashboard, read from ``player_analytics`` (written by ``lottocrm mart``).

Sizes come straight from the stored rows; the migration between the two latest as-of dates goes through the
mart's own ``migration_matrix``, so the dashboard and ``lottocrm segments migration`` count the same way.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
from sqlalchemy import Connection, func, select

from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.segments import migration_matrix

MIGRATION_SCHEMA = pa.schema(
    [("from_segment", pa.string()), ("to_segment", pa.string()), ("players", pa.int64())]
)


def segment_sizes(connection: Connection) -> pa.Table:
    """(as_of, segment, players) for every as-of date written back."""
    rows = connection.execute(
        select(PlayerAnalytics.as_of, PlayerAnalytics.segment, func.count().label("players"))
        .group_by(PlayerAnalytics.as_of, PlayerAnalytics.segment)
        .order_by(PlayerAnalytics.as_of, PlayerAnalytics.segment)
    ).all()
    return pa.table(
        {
            "as_of": pa.array([row.as_of for row in rows], pa.date32()),
            "segment": pa.array([row.segment for row in rows], pa.string()),
            "players": pa.array([row.players for row in rows], pa.int64()),
        }
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


def latest_migration(connection: Connection) -> tuple[tuple[dt.date, dt.date] | None, pa.Table]:
    """The dates compared and (from_segment, to_segment, players) between the two latest as-of dates;
    no dates and no rows while fewer than two dates are written back."""
    dates = connection.scalars(
        select(PlayerAnalytics.as_of).distinct().order_by(PlayerAnalytics.as_of.desc()).limit(2)
    ).all()
    if len(dates) < 2:
        return None, MIGRATION_SCHEMA.empty_table()
    later, earlier = dates
    matrix = migration_matrix(
        ibis.memtable(_snapshot(connection, earlier)), ibis.memtable(_snapshot(connection, later))
    )
    backend = ibis.duckdb.connect()
    try:
        table = backend.to_pyarrow(matrix.order_by("from_segment", "to_segment"))
    finally:
        backend.disconnect()
    return (earlier, later), table.cast(MIGRATION_SCHEMA)
