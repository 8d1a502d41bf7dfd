"""Operational tables the analytics read beside the lake, moved to the engine as Arrow (never via DuckDB's
sqlite/postgres extensions, which cannot be installed here and would tie the analytics to one store).

Streamed in batches, so a store of millions of players never sits in memory twice.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, Select, select

from lottocrm.catalog.models import Game
from lottocrm.lake.schemas import UTC_TS
from lottocrm.players.models import Player

BATCH = 200_000

PLAYERS_SCHEMA = pa.schema(
    [pa.field("player_id", pa.int64()), pa.field("registered_at", UTC_TS), pa.field("region", pa.string())]
)
# The registration channel as well: first games are offered by the channel a player came through.
PLAYERS_WITH_CHANNEL_SCHEMA = pa.schema(
    [
        pa.field("player_id", pa.int64()),
        pa.field("registered_at", UTC_TS),
        pa.field("channel", pa.string()),
        pa.field("region", pa.string()),
    ]
)
GAMES_SCHEMA = pa.schema([pa.field("game_id", pa.int32()), pa.field("game", pa.string())])


def _extract(engine: Engine, statement: Select[Any], schema: pa.Schema) -> pa.Table:
    batches = []
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(statement)
        for rows in result.partitions(BATCH):
            columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
            batches.append(
                pa.record_batch(
                    [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                    schema=schema,
                )
            )
    return pa.Table.from_batches(batches, schema=schema)


def players_extract(engine: Engine) -> pa.Table:
    return _extract(engine, select(Player.id, Player.registered_at, Player.region), PLAYERS_SCHEMA)


def players_with_channel_extract(engine: Engine) -> pa.Table:
    statement = select(Player.id, Player.registered_at, Player.registration_channel, Player.region)
    return _extract(engine, statement, PLAYERS_WITH_CHANNEL_SCHEMA)


def games_extract(engine: Engine) -> pa.Table:
    return _extract(engine, select(Game.id, Game.name), GAMES_SCHEMA)


def game_codes(engine: Engine) -> dict[int, str]:
    """Game id → code, to name games in printed rules and offers."""
    with engine.connect() as connection:
        return {int(gid): code for gid, code in connection.execute(select(Game.id, Game.code))}
