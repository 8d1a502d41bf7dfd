"""Announcing a loaded batch: what a committed batch of players, tickets or wins holds, gathered as it loads.

The event names the batch, its id range and the players it touched, so a subscriber (a journey waiting for a
first purchase, a loyalty earn) can act on the right players without scanning the lake.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Connection

from lottocrm.events.outbox import emit, event_id_for
from lottocrm.ingest.events import PLAYER_IDS_LISTED, FactsCommitted, TicketsCommitted, WinsCommitted
from lottocrm.lake.store import Lake
from lottocrm.players.events import PlayersRegistered

EVENTS: dict[str, type[FactsCommitted]] = {"tickets": TicketsCommitted, "wins": WinsCommitted}
# Keep at most this many distinct player ids in memory before folding the per-chunk lists into one.
_FOLD_AT = 1_000_000


class FactsSeen:
    """The id range and the distinct players of the rows written so far."""

    def __init__(self, id_column: str) -> None:
        self.id_column = id_column
        self.first_id: int | None = None
        self.last_id: int | None = None
        self._players: list[pa.Array] = []
        self._held = 0

    def add(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        low, high = pc.min_max(rows[self.id_column]).values()
        self.first_id = low.as_py() if self.first_id is None else min(self.first_id, low.as_py())
        self.last_id = high.as_py() if self.last_id is None else max(self.last_id, high.as_py())
        if "player_id" in rows.column_names:
            players = pc.unique(rows["player_id"].drop_null())
            self._players.append(players)
            self._held += len(players)
            if self._held > _FOLD_AT:
                self._players = [self.players()]
                self._held = len(self._players[0])

    def players(self) -> pa.Array:
        if not self._players:
            return pa.array([], pa.int64())
        return pc.unique(pa.chunked_array(self._players, pa.int64()).combine_chunks())


def announce(connection: Connection, *, table: str, batch_id: str, rows: int, seen: FactsSeen) -> None:
    """Emit the table's committed event in the caller's transaction (the import's ledger row)."""
    event = EVENTS.get(table)
    if event is None or seen.first_id is None or seen.last_id is None:
        return
    players = seen.players()
    distinct = players.take(pc.sort_indices(players))
    emit(
        connection,
        event(
            batch_id=batch_id,
            rows=rows,
            first_id=seen.first_id,
            last_id=seen.last_id,
            players_touched=len(distinct),
            player_ids=distinct.to_pylist() if len(distinct) <= PLAYER_IDS_LISTED else None,
        ),
        # The same batch is announced once, even when an interrupted import is run again.
        event_id=event_id_for("lake", table, batch_id),
    )


def announce_players(connection: Connection, *, batch_id: str, rows: int, seen: FactsSeen) -> None:
    if seen.first_id is None or seen.last_id is None:
        return
    emit(
        connection,
        PlayersRegistered(
            batch_id=batch_id, count=rows, first_player_id=seen.first_id, last_player_id=seen.last_id
        ),
        event_id=event_id_for("store", "players", batch_id),
    )


def seen_in_lake(lake: Lake, *, table: str, batch_id: str, id_column: str) -> FactsSeen:
    """What a batch already in the lake holds, read back (an import that crashed before its ledger row)."""
    record = lake.record(table, batch_id)
    seen = FactsSeen(id_column)
    if record is None:
        return seen
    columns = [id_column] + (["player_id"] if table in EVENTS else [])
    for name in record.files:
        seen.add(pq.read_table(lake.root / table / name, columns=columns))
    return seen
