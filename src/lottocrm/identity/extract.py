"""Players, their identities and the current persons, moved out of the operational store as Arrow (DuckDB
cannot attach SQLite or PostgreSQL here), streamed in batches so 20 M players never sit in memory twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Select, select

from lottocrm.identity.models import PersonMember, ReviewItem
from lottocrm.players.models import Player, PlayerIdentity

BATCH = 200_000
UTC = pa.timestamp("us", tz="UTC")

PLAYERS = pa.schema(
    [
        ("id", pa.int64()),
        ("last_name", pa.string()),
        ("first_name", pa.string()),
        ("middle_name", pa.string()),
        ("birth_date", pa.date32()),
        ("region", pa.string()),
        ("created_at", UTC),
    ]
)
IDENTITIES = pa.schema(
    [("player_id", pa.int64()), ("kind", pa.string()), ("value", pa.string()), ("verified", pa.bool_()),
     ("created_at", UTC)]
)  # fmt: skip


def _extract(connection: Connection, statement: Select[Any], schema: pa.Schema) -> pa.Table:
    batches = []
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(statement)
    for rows in result.partitions(BATCH):
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
        batches.append(
            pa.record_batch(
                [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)], schema=schema
            )
        )
    return pa.Table.from_batches(batches, schema=schema)


def players(connection: Connection) -> pa.Table:
    statement = select(
        Player.id,
        Player.last_name,
        Player.first_name,
        Player.middle_name,
        Player.birth_date,
        Player.region,
        Player.created_at,
    ).order_by(Player.id)
    return _extract(connection, statement, PLAYERS)


def identities(connection: Connection) -> pa.Table:
    statement = select(
        PlayerIdentity.player_id,
        PlayerIdentity.kind,
        PlayerIdentity.value,
        PlayerIdentity.verified,
        PlayerIdentity.created_at,
    )
    return _extract(connection, statement, IDENTITIES)


def memberships(connection: Connection) -> dict[int, int]:
    """Player → person id, for every player currently in a person."""
    rows = connection.execute(select(PersonMember.player_id, PersonMember.person_id))
    return {int(player): int(person) for player, person in rows}


def decisions(connection: Connection) -> dict[tuple[int, int], str]:
    """(a, b) → status of every pair already in the review queue (pending or decided)."""
    rows = connection.execute(select(ReviewItem.player_a, ReviewItem.player_b, ReviewItem.status))
    return {(int(a), int(b)): status for a, b, status in rows}


def latest(values: pa.ChunkedArray) -> dt.datetime | None:
    if len(values) == 0:
        return None
    return pc.max(values).as_py()
