"""Rows per second of the contactability rebuild, per dialect: the set-based rebuild (``standing_sql``, what
``standing.rebuild`` runs) against the Python refresh it replaces for large sets and the raw engine, in the
same run.

Players come from contactable_bench's SQL loader (consent histories, a phone each, some excluded, blocked or
under age, a cap ledger), with an e-mail and an e-mail touch for every other player and a device for every
fourth. Phases, each its own transaction (commit included):

- raw engine: ``INSERT … SELECT`` of the players' ids, status and region (constants for the other NOT NULL
  columns) into a copy of the contactability table with the same indexes: writing N rows of this shape;
- set-based, first build: ``standing.rebuild`` into the empty table;
- set-based, again: over the rows it wrote (every row an update, as after a change of zone);
- Python: ``standing.refresh`` of the first ``--python-players`` players, in its batches of 2 000 (the
  per-transaction refresh; at 10^6 players it would take minutes, so it is sampled).

After the set-based phases ``standing.drifted`` must find nothing among a sample of players. Prints a
Markdown block; ``--append`` adds it to bench/RESULTS.md.

    .venv/bin/python bench/standing_rebuild_bench.py --players 1000000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from contactable_bench import EVENTS, EXCLUSIONS, PHONES, PLAYERS, TOUCHES, _dialect_sql
from scratch_db import on_each_dialect
from sqlalchemy import Engine, Index, MetaData, Table, bindparam, select, text

from lottocrm import clock
from lottocrm.contact_policy import standing
from lottocrm.contact_policy.document import DEFAULT_POLICY
from lottocrm.contact_policy.models import contactability
from lottocrm.db.base import UtcDateTime
from lottocrm.players.models import Player

# The morning after the loader's last touches.
AS_OF = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC)
SAMPLE = 2_000
EMAILS = """
INSERT INTO player_identities (player_id, kind, value, verified, created_at)
SELECT i, 'email', 'p' || i || '@example.ru', {false}, {registered} FROM ids WHERE i % 2 = 0
UNION ALL SELECT i, 'device', 'fcm:' || i, {true}, {registered} FROM ids WHERE i % 4 = 0
"""
EMAIL_TOUCHES = """
INSERT INTO contact_touches (player_id, channel, contact_point, at)
SELECT i, 'email', 'p' || i || '@example.ru', {yesterday} FROM ids WHERE i % 2 = 0
"""


def _copy_table() -> Table:
    """The contactability table's columns and indexes under another name."""
    table = Table(
        "bench_contactability_raw",
        MetaData(),
        *(column._copy() for column in contactability.columns),
    )
    for index in contactability.indexes:
        Index(f"bench_{index.name}", *(table.c[column.name] for column in index.columns))
    return table


def load(engine: Engine, players: int) -> float:
    ids, values = _dialect_sql(engine, players)
    started = time.perf_counter()
    with engine.begin() as connection:
        for statement in (PLAYERS, EVENTS, PHONES, EMAILS, EXCLUSIONS, TOUCHES, EMAIL_TOUCHES):
            connection.execute(text(ids + statement.format(**values).strip()))
        # A few flagged under age, so that adult_from meets its sentinel.
        connection.execute(text(f"UPDATE players SET under_age = {values['true']} WHERE id % 211 = 0"))
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _timed(engine: Engine, work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with clock.frozen(AS_OF), engine.begin() as connection:
        work(connection)
    return time.perf_counter() - started


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(engine: Engine, label: str, players: int, python_players: int, rows: list[str]) -> None:
    _say(f"{label}: loading {players:,} players")
    loaded = load(engine, players)
    raw = _copy_table()
    raw.create(engine)
    raw_sql = (
        f"INSERT INTO {raw.name} (player_id, refreshed_at, status, region, under_age, "
        + ", ".join(f"{channel}_marketing_from" for channel in standing.CHANNELS)
        + ") SELECT id, :now, status, region, under_age, "
        + ", ".join(":never" for _ in standing.CHANNELS)
        + " FROM players"
    )
    raw_statement = text(raw_sql).bindparams(
        bindparam("now", type_=UtcDateTime), bindparam("never", type_=UtcDateTime)
    )
    _say(f"{label}: raw engine")
    raw_seconds = _timed(engine, lambda c: c.execute(raw_statement, {"now": AS_OF, "never": standing.NEVER}))

    def report(done: int, total: int) -> None:
        _say(f"{label}: set-based {done:,} / {total:,}")

    first = _timed(engine, lambda c: standing.rebuild(c, policy=DEFAULT_POLICY, progress=report))
    again = _timed(engine, lambda c: standing.rebuild(c, policy=DEFAULT_POLICY, progress=report))
    with clock.frozen(AS_OF), engine.begin() as connection:
        step = max(1, players // SAMPLE)
        checked = list(connection.scalars(select(Player.id).where(Player.id % step == 0).limit(SAMPLE)))
        drifted = standing.drifted(connection, checked, policy=DEFAULT_POLICY)
    if drifted:
        raise SystemExit(f"{label}: rows differ from the Python refresh for players {drifted[:20]}")
    sample = list(range(1, min(python_players, players) + 1))
    _say(f"{label}: Python refresh of {len(sample):,} players")

    def python_refresh(connection) -> None:  # type: ignore[no-untyped-def]
        for start in range(0, len(sample), standing.BATCH):
            standing.refresh(connection, sample[start : start + standing.BATCH], policy=DEFAULT_POLICY)

    python = _timed(engine, python_refresh)
    rates = {
        "raw": players / raw_seconds,
        "first": players / first,
        "again": players / again,
        "python": len(sample) / python,
    }
    rows.append(
        f"| {label} | {players:,} | {loaded:.1f} s | {rates['raw']:,.0f} | {rates['first']:,.0f} "
        f"({first:.1f} s, {rates['raw'] / rates['first']:.1f}×) | {rates['again']:,.0f} ({again:.1f} s) "
        f"| {rates['python']:,.0f} ({len(sample):,} players) | {rates['first'] / rates['python']:.0f}× "
        f"| {len(checked):,} |"
    )
    print(rows[-1], flush=True)


def _commit() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=1_000_000)
    parser.add_argument("--python-players", type=int, default=20_000, help="players the Python refresh does")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a scratch database on")
    parser.add_argument("--append", action="store_true", help="append the block to bench/RESULTS.md")
    args = parser.parse_args()
    header = [
        "| dialect | players | load | raw engine rows/s | set-based first build rows/s (× raw) "
        "| set-based again rows/s | Python refresh rows/s | set-based / Python | drifted checked |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(header), flush=True)
    rows: list[str] = []
    load_before = os.getloadavg()[0]
    on_each_dialect(
        args.postgres,
        lambda engine, label: measure(engine, label, args.players, args.python_players, rows),
        skip_sqlite=args.skip_sqlite,
    )
    block = "\n".join(
        [
            "",
            f"## Contactability rebuild: set-based vs Python refresh vs raw engine — {dt.date.today()}",
            "",
            f"Command: `.venv/bin/python {' '.join(sys.argv)}` (commit {_commit()}).",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
            f"Load average before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f}.",
            "",
            *header,
            *rows,
            "",
        ]
    )
    if args.append:
        with Path(__file__).with_name("RESULTS.md").open("a", encoding="utf-8") as results:
            results.write(block)


if __name__ == "__main__":
    main()
