"""Arrow schemas of the append-only fact tables. Money is int64 kopecks; times are UTC microseconds."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class FactTable:
    name: str
    schema: pa.Schema
    # The timestamp column whose month names the partition folder.
    partition_column: str
    id_column: str


TICKETS = FactTable(
    name="tickets",
    schema=pa.schema(
        [
            pa.field("ticket_id", pa.int64(), nullable=False),
            pa.field("player_id", pa.int64()),  # null: anonymous retail ticket
            pa.field("game_id", pa.int32(), nullable=False),
            pa.field("draw_id", pa.int64()),  # null: instant lottery
            pa.field("channel", pa.string(), nullable=False),
            pa.field("pos_id", pa.int64()),
            pa.field("region", pa.string()),
            pa.field("price_kopecks", pa.int64(), nullable=False),
            pa.field("sold_at", UTC_TS, nullable=False),
        ]
    ),
    partition_column="sold_at",
    id_column="ticket_id",
)

WINS = FactTable(
    name="wins",
    schema=pa.schema(
        [
            pa.field("win_id", pa.int64(), nullable=False),
            pa.field("ticket_id", pa.int64(), nullable=False),
            pa.field("player_id", pa.int64()),
            pa.field("game_id", pa.int32(), nullable=False),
            pa.field("draw_id", pa.int64()),
            pa.field("prize_tier", pa.int16(), nullable=False),
            pa.field("amount_kopecks", pa.int64(), nullable=False),
            pa.field("won_at", UTC_TS, nullable=False),
            pa.field("claimed", pa.bool_(), nullable=False),
            pa.field("claimed_at", UTC_TS),
        ]
    ),
    partition_column="won_at",
    id_column="win_id",
)

SESSIONS = FactTable(
    name="sessions",
    schema=pa.schema(
        [
            pa.field("session_id", pa.int64(), nullable=False),
            pa.field("player_id", pa.int64()),  # null: visitor not signed in
            pa.field("device_id", pa.string()),
            pa.field("channel", pa.string(), nullable=False),
            pa.field("started_at", UTC_TS, nullable=False),
            pa.field("duration_s", pa.int32(), nullable=False),
            pa.field("page_views", pa.int32(), nullable=False),
        ]
    ),
    partition_column="started_at",
    id_column="session_id",
)

FACT_TABLES: dict[str, FactTable] = {t.name: t for t in (TICKETS, WINS, SESSIONS)}
