"""A player's recent tickets and wins, read from the fact lake with DuckDB, filtered by player id.

Opening DuckDB and listing the lake's commit records costs more than the lookup itself, so one connection
per lake is kept with its views, and rebuilt only when a batch is committed (committing renames a record into
``_batches/``, which changes that folder's mtime). Each request runs on its own cursor of that connection.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from lottocrm.lake.store import Lake
from lottocrm.players.schemas import ActivityOut, TicketOut, WinOut

RECENT = 20
# DuckDB's default is 80 % of RAM per connection; the web process keeps its lake cache to this.
CACHE_MEMORY = "1GB"
_lock = threading.Lock()
_connections: dict[Path, tuple[tuple[int, ...], duckdb.DuckDBPyConnection]] = {}


def _signature(lake: Lake) -> tuple[int, ...]:
    stamps = []
    for table in ("tickets", "wins"):
        folder = lake.root / table / "_batches"
        stamps.append(folder.stat().st_mtime_ns if folder.is_dir() else 0)
    return tuple(stamps)


def _cursor(lake: Lake) -> duckdb.DuckDBPyConnection:
    signature = _signature(lake)
    with _lock:
        cached = _connections.get(lake.root)
        if cached is None or cached[0] != signature:
            if cached is not None:
                cached[1].close()
            connection = duckdb.connect(config={"threads": 2, "memory_limit": CACHE_MEMORY})
            # Both settings belong to the Parquet extension, so it is loaded before they are set. Footers stay
            # parsed in memory, and the file blocks lookups read stay in DuckDB's buffer pool (evicted within
            # the memory limit): a lookup then decodes its row groups without re-reading and re-parsing files.
            connection.execute("LOAD parquet")
            connection.execute("SET parquet_metadata_cache = true")
            connection.execute("SET cache_local_files = true")
            lake.connect(connection)
            _connections[lake.root] = (signature, connection)
        return _connections[lake.root][1].cursor()


def player_activity(lake: Lake, *, player_id: int, game_names: dict[int, str]) -> ActivityOut:
    cursor = _cursor(lake)
    try:
        # One scan per table: totals by window functions next to the newest rows.
        tickets = cursor.execute(
            "SELECT ticket_id, game_id, channel, region, price_kopecks, sold_at, count(*) OVER (), "
            "sum(price_kopecks) OVER () FROM tickets WHERE player_id = ? ORDER BY sold_at DESC LIMIT ?",
            [player_id, RECENT],
        ).fetchall()
        wins = cursor.execute(
            "SELECT win_id, game_id, prize_tier, amount_kopecks, won_at, claimed, count(*) OVER (), "
            "sum(amount_kopecks) OVER () FROM wins WHERE player_id = ? ORDER BY won_at DESC LIMIT ?",
            [player_id, RECENT],
        ).fetchall()
    finally:
        cursor.close()
    return ActivityOut(
        tickets_total=tickets[0][6] if tickets else 0,
        spend_total_kopecks=int(tickets[0][7]) if tickets else 0,
        last_ticket_at=tickets[0][5] if tickets else None,
        wins_total=wins[0][6] if wins else 0,
        wins_amount_kopecks=int(wins[0][7]) if wins else 0,
        tickets=[
            TicketOut(
                ticket_id=t[0],
                game=game_names.get(t[1], f"#{t[1]}"),
                channel=t[2],
                region=t[3],
                price_kopecks=t[4],
                sold_at=t[5],
            )
            for t in tickets
        ],
        wins=[
            WinOut(
                win_id=w[0],
                game=game_names.get(w[1], f"#{w[1]}"),
                prize_tier=w[2],
                amount_kopecks=w[3],
                won_at=w[4],
                claimed=w[5],
            )
            for w in wins
        ],
    )
