"""Purchases of groups of players over a span of time, from the lake: per group, how many players, how many
bought at least once, and their spend's total and sum of squares (sufficient statistics for Welch's test).

The players and their group arrive as an Arrow table (the operational store cannot be attached to DuckDB),
so a population of millions is one join, never a loop per player. A player without a ticket in the span
counts with zero spend; tickets of players outside the table are ignored. Sums are exact (HUGEINT) before
they become floats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.lake.store import Lake

_QUERY = """
WITH bought AS (
    SELECT player_id, sum(price_kopecks)::HUGEINT AS spend
    FROM tickets
    WHERE player_id IS NOT NULL AND sold_at >= $low AND sold_at < $high
      AND player_id IN (SELECT player_id FROM population)
    GROUP BY player_id
)
SELECT
    p."group" AS "group",
    count(*) AS players,
    count(b.player_id) AS buyers,
    coalesce(sum(b.spend), 0)::HUGEINT AS spend,
    coalesce(sum(b.spend * b.spend), 0)::HUGEINT AS spend_squares
FROM population p LEFT JOIN bought b USING (player_id)
GROUP BY p."group"
"""


@dataclass(frozen=True)
class GroupSpend:
    players: int
    buyers: int
    spend_kopecks: int
    spend_sum_squares: int


def group_spend(
    *, lake: Lake, population: pa.Table, low: dt.datetime, high: dt.datetime
) -> dict[str, GroupSpend]:
    """Per value of ``population``'s ``group`` column (``player_id``, ``group``): its players, buyers and
    spend over tickets sold in [low, high). A group with no player is absent."""
    missing = [name for name in ("player_id", "group") if name not in population.column_names]
    if missing:
        raise AnalyticsInputError(f"the population lacks the column(s) {', '.join(missing)}")
    if low.tzinfo is None or high.tzinfo is None or high <= low:
        raise AnalyticsInputError(f"[{low.isoformat()}, {high.isoformat()}) is not a span of aware moments")
    population = population.select(["player_id", "group"]).cast(
        pa.schema([pa.field("player_id", pa.int64()), pa.field("group", pa.string())])
    )
    connection = lake.connect(duckdb.connect())
    try:
        connection.register("population", population)
        rows = connection.sql(_QUERY, params={"low": low, "high": high}).fetchall()
    finally:
        connection.close()
    return {
        group: GroupSpend(int(players), int(buyers), int(spend), int(squares))
        for group, players, buyers, spend, squares in rows
    }
