"""Players per lifecycle segment and as-of date, straight from ``player_analytics`` (``lottocrm mart``)."""

from __future__ import annotations

from typing import ClassVar, Literal

import pyarrow as pa
from sqlalchemy import Connection, func, select

from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.queries.base import Source, StoreQuery


class SegmentSizesQuery(StoreQuery):
    kind: Literal["segment_sizes"] = "segment_sizes"
    sources: ClassVar = frozenset({Source.RECORD})

    def calculate(self, connection: Connection) -> pa.Table:
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
