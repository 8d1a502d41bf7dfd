"""Lifecycle segments for the dashboard, read from ``player_analytics`` (written by ``lottocrm mart``).

Sizes come straight from the stored rows; the migration between the two latest as-of dates goes through the
mart's own ``migration_matrix``, so the dashboard and ``lottocrm segments migration`` count the same way.
That matrix takes a second or two at 10^5 players, so its result is kept in ``report_cache`` (shared by
every web worker) under a key of what it was computed from (the latest as-of date, the row count and a
checksum of the segments), which a ``lottocrm mart`` write-back changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import ibis
import pyarrow as pa
from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.exc import IntegrityError

from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.segments import migration_matrix
from lottocrm.analytics.reports.models import ReportCacheEntry
from lottocrm.db.engine import transaction

MIGRATION_REPORT = "segments/migration"
# Bump when the migration's definition changes, so results cached under the old one are not served.
MIGRATION_VERSION = 1
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


def _migration_input_key(connection: Connection) -> str:
    """What the matrix depends on, in one scan: the latest date, the row count (a new as-of date or player
    changes them) and a checksum of who is in which segment (a re-run for the same date that moves
    players changes it, barring a collision the weighting makes unlikely)."""
    weight = PlayerAnalytics.player_id % 9973 + 1
    state = connection.execute(
        select(
            func.max(PlayerAnalytics.as_of),
            func.count(),
            func.sum(func.length(PlayerAnalytics.segment) * weight),
        )
    ).one()
    raw = f"{MIGRATION_VERSION}|{'|'.join(map(str, state))}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _to_json(dates: tuple[dt.date, dt.date] | None, table: pa.Table) -> dict:
    return {
        "dates": [d.isoformat() for d in dates] if dates else None,
        "rows": [list(row.values()) for row in table.to_pylist()],
    }


def _from_json(result: dict) -> tuple[tuple[dt.date, dt.date] | None, pa.Table]:
    dates = tuple(dt.date.fromisoformat(d) for d in result["dates"]) if result["dates"] else None
    columns = list(zip(*result["rows"], strict=True)) if result["rows"] else [(), (), ()]
    table = pa.table(
        [pa.array(list(values), field.type) for values, field in zip(columns, MIGRATION_SCHEMA, strict=True)],
        schema=MIGRATION_SCHEMA,
    )
    return dates, table  # type: ignore[return-value]


def cached_latest_migration(engine: Engine) -> tuple[tuple[dt.date, dt.date] | None, pa.Table]:
    """:func:`latest_migration`, served from ``report_cache`` while the analytical record is unchanged.

    A miss computes outside any write transaction (readers keep reading), then stores the result; two
    workers missing at once both compute and the slower one's insert loses quietly.
    """
    with engine.connect() as connection:
        key = _migration_input_key(connection)
        cached = connection.execute(
            select(ReportCacheEntry.result).where(
                ReportCacheEntry.name == MIGRATION_REPORT, ReportCacheEntry.input_key == key
            )
        ).scalar_one_or_none()
        if cached is not None:
            return _from_json(cached)
        dates, table = latest_migration(connection)
    try:
        with transaction(engine) as session:
            session.execute(delete(ReportCacheEntry).where(ReportCacheEntry.name == MIGRATION_REPORT))
            session.add(
                ReportCacheEntry(
                    name=MIGRATION_REPORT,
                    input_key=key,
                    computed_at=dt.datetime.now(dt.UTC),
                    result=_to_json(dates, table),
                )
            )
    except IntegrityError:
        pass  # another worker stored the same result first
    return dates, table
