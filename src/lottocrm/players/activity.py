"""A player's recent tickets and wins, read from the fact lake with DuckDB, filtered by player id.

Opening DuckDB and listing the lake's commit records costs more than the lookup itself, so one connection
per lake is kept with the live file lists, and rebuilt only when a batch is committed (committing renames a
record into ``_batches/``, which changes that folder's mtime). Each request runs on its own cursor of that
connection.
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
# Per lake root: (commit signature, connection, live files of each table).
_connections: dict[Path, tuple[tuple[int, ...], duckdb.DuckDBPyConnection, dict[str, list[str]]]] = {}


def _signature(lake: Lake) -> tuple[int, ...]:
    stamps = []
    for table in ("tickets", "wins"):
        folder = lake.root / table / "_batches"
        stamps.append(folder.stat().st_mtime_ns if folder.is_dir() else 0)
    return tuple(stamps)


def _cursor(lake: Lake) -> tuple[duckdb.DuckDBPyConnection, dict[str, list[str]]]:
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
            connection.execute("SET TimeZone = 'UTC'")
            files = {table: [str(path) for path in lake.files(table)] for table in ("tickets", "wins")}
            _connections[lake.root] = (signature, connection, files)
        _, connection, files = _connections[lake.root]
        return connection.cursor(), files


def _newest(
    cursor: duckdb.DuckDBPyConnection,
    files: list[str],
    columns: str,
    amount: str,
    at: str,
    id_column: str,
    player_id: int,
) -> tuple[int, int, list[tuple]]:
    """(count, amount total, newest RECENT rows) of one player in one fact table.

    Every month holds a row group or two of the player, and decoding all their columns is what costs. So the
    totals, the cut-off time of the page and the files holding the player come from three narrow columns of
    every month; the page's full rows then come only from the files of months at or after that cut-off (at
    10^8 tickets, the last few months instead of all 24).
    """
    if not files:
        return 0, 0, []
    count, total, times, holding = cursor.execute(
        f"SELECT count(*), coalesce(sum({amount}), 0), max({at}, {RECENT}), list(DISTINCT filename) "
        "FROM read_parquet(?, hive_partitioning = false, filename = true) WHERE player_id = ?",
        [files, player_id],
    ).fetchone()
    if not count:
        return 0, 0, []
    cut_off = times[-1]
    # Files live under month=YYYY-MM/, and a month's rows all fall inside it.
    first_month = f"month={cut_off.year:04d}-{cut_off.month:02d}"
    needed = [path for path in holding if Path(path).parent.name >= first_month]
    # No LIMIT: DuckDB answers a top-N over Parquet by scanning the files twice (late materialization).
    rows = cursor.execute(
        f"SELECT {columns} FROM read_parquet(?, hive_partitioning = false) WHERE player_id = ? AND {at} >= ? "
        f"ORDER BY {at} DESC, {id_column} DESC",
        [needed, player_id, cut_off],
    ).fetchmany(RECENT)
    return count, int(total), rows


def player_activity(lake: Lake, *, player_id: int, game_names: dict[int, str]) -> ActivityOut:
    cursor, files = _cursor(lake)
    try:
        tickets_total, spend, tickets = _newest(
            cursor,
            files["tickets"],
            "ticket_id, game_id, channel, region, price_kopecks, sold_at",
            "price_kopecks",
            "sold_at",
            "ticket_id",
            player_id,
        )
        wins_total, won, wins = _newest(
            cursor,
            files["wins"],
            "win_id, game_id, prize_tier, amount_kopecks, won_at, claimed",
            "amount_kopecks",
            "won_at",
            "win_id",
            player_id,
        )
    finally:
        cursor.close()
    return ActivityOut(
        tickets_total=tickets_total,
        spend_total_kopecks=spend,
        last_ticket_at=tickets[0][5] if tickets else None,
        wins_total=wins_total,
        wins_amount_kopecks=won,
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
