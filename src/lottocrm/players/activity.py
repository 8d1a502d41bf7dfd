"""A player's recent tickets and wins, read from the fact lake with DuckDB, filtered by player id.

Opening DuckDB and listing the lake's commit records costs more than the lookup itself, so one connection
per lake is kept with the live file lists, and rebuilt only when a batch is committed (committing renames a
record into ``_batches/``, which changes that folder's mtime). Each request runs on its own cursor of that
connection.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lottocrm.lake.store import Lake
from lottocrm.players.schemas import ActivityOut, TicketOut, WinOut
from lottocrm.presentation.paging import MomentCursor as Cursor

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


@dataclass(frozen=True)
class FactTable:
    """How the 360 reads one fact table: the columns it shows, the amount it sums, its time and id."""

    name: str
    columns: str  # the id first
    amount: str
    at: str
    id: str

    @property
    def at_index(self) -> int:
        return self.columns.split(", ").index(self.at)


TICKETS = FactTable(
    "tickets",
    "ticket_id, game_id, channel, region, price_kopecks, sold_at",
    "price_kopecks",
    "sold_at",
    "ticket_id",
)
WINS = FactTable(
    "wins",
    "win_id, game_id, prize_tier, amount_kopecks, won_at, claimed",
    "amount_kopecks",
    "won_at",
    "win_id",
)
TABLES = {table.name: table for table in (TICKETS, WINS)}


@dataclass(frozen=True)
class Page:
    """Rows of one fact table, newest first; ``count`` and ``total`` cover every row from the page's
    start, so the first page carries the player's totals."""

    count: int
    total: int
    rows: list[tuple]
    next: Cursor | None


def _page(
    cursor: duckdb.DuckDBPyConnection,
    files: list[str],
    table: FactTable,
    player_id: int,
    before: Cursor | None,
    limit: int,
) -> Page:
    """The newest ``limit`` rows of one player in one fact table, older than ``before`` when given.

    Every month holds a row group or two of the player, and decoding all their columns is what costs. So the
    count and total, the cut-off time of the page and the files holding the player come from three narrow
    columns of every month; the page's full rows then come only from the files of months at or after that
    cut-off (at 10^8 tickets, the last few months instead of all 24).
    """
    if not files:
        return Page(0, 0, [], None)
    at, id_column = table.at, table.id
    older = f" AND ({at} < ? OR ({at} = ? AND {id_column} < ?))" if before else ""
    older_params = [before.at, before.at, before.id] if before else []
    count, total, times, holding = cursor.execute(
        f"SELECT count(*), coalesce(sum({table.amount}), 0), max({at}, {limit}), list(DISTINCT filename) "
        f"FROM read_parquet(?, hive_partitioning = false, filename = true) WHERE player_id = ?{older}",
        [files, player_id, *older_params],
    ).fetchone()
    if not count:
        return Page(0, 0, [], None)
    cut_off = times[-1]
    # Files live under month=YYYY-MM/, and a month's rows all fall inside it.
    first_month = f"month={cut_off.year:04d}-{cut_off.month:02d}"
    needed = [path for path in holding if Path(path).parent.name >= first_month]
    # No LIMIT: DuckDB answers a top-N over Parquet by scanning the files twice (late materialization).
    rows = cursor.execute(
        f"SELECT {table.columns} FROM read_parquet(?, hive_partitioning = false) "
        f"WHERE player_id = ? AND {at} >= ?{older} ORDER BY {at} DESC, {id_column} DESC",
        [needed, player_id, cut_off, *older_params],
    ).fetchmany(limit)
    last = rows[-1]
    more = count > limit
    return Page(int(count), int(total), rows, Cursor(at=last[table.at_index], id=last[0]) if more else None)


def _tickets(rows: list[tuple], game_names: dict[int, str]) -> list[TicketOut]:
    return [
        TicketOut(
            ticket_id=t[0],
            game=game_names.get(t[1], f"#{t[1]}"),
            channel=t[2],
            region=t[3],
            price_kopecks=t[4],
            sold_at=t[5],
        )
        for t in rows
    ]


def _wins(rows: list[tuple], game_names: dict[int, str]) -> list[WinOut]:
    return [
        WinOut(
            win_id=w[0],
            game=game_names.get(w[1], f"#{w[1]}"),
            prize_tier=w[2],
            amount_kopecks=w[3],
            won_at=w[4],
            claimed=w[5],
        )
        for w in rows
    ]


def player_activity(lake: Lake, *, player_id: int, game_names: dict[int, str]) -> ActivityOut:
    """The player's totals with the first page of their tickets and of their wins."""
    cursor, files = _cursor(lake)
    try:
        tickets = _page(cursor, files["tickets"], TICKETS, player_id, None, RECENT)
        wins = _page(cursor, files["wins"], WINS, player_id, None, RECENT)
    finally:
        cursor.close()
    return ActivityOut(
        tickets_total=tickets.count,
        spend_total_kopecks=tickets.total,
        last_ticket_at=tickets.rows[0][5] if tickets.rows else None,
        wins_total=wins.count,
        wins_amount_kopecks=wins.total,
        tickets=_tickets(tickets.rows, game_names),
        wins=_wins(wins.rows, game_names),
        older_tickets=tickets.next.encode() if tickets.next else None,
        older_wins=wins.next.encode() if wins.next else None,
    )


def older_activity(
    lake: Lake, *, player_id: int, table: str, before: Cursor, game_names: dict[int, str], limit: int = RECENT
) -> tuple[list[TicketOut] | list[WinOut], Cursor | None]:
    """An older page of the player's tickets or wins (before ``before``), and where the next one starts."""
    cursor, files = _cursor(lake)
    try:
        page = _page(cursor, files[table], TABLES[table], player_id, before, limit)
    finally:
        cursor.close()
    rows = _tickets(page.rows, game_names) if table == TICKETS.name else _wins(page.rows, game_names)
    return rows, page.next
