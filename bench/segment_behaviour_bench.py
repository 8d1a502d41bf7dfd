"""Behaviour segment conditions at size: the DuckDB aggregation over the lake, the staging load into the
store, the audience count that joins it, and one player's values read from the lake directly (SQLite store).

    PYTHONPATH=src .venv/bin/python bench/segment_behaviour_bench.py --players 200000 --days 365

The lake is the synthetic basket lake (``synthetic_lake.py``); the segment names two specs: tickets in the
last 30 days (any game) and spend on game 1 in the last 365 days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from synthetic_lake import AS_OF, synthetic_lake  # type: ignore[import-not-found]

from lottocrm import clock
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, session_factory
from lottocrm.marketing.segments import behaviour
from lottocrm.marketing.segments.audience import count, frame_at, values_for
from lottocrm.marketing.segments.conditions import conditions, parse
from lottocrm.players.models import Player

DOCUMENT = {
    "all": [
        {"field": "behaviour.tickets", "params": {"days": 30}, "op": "ge", "value": 2},
        {"field": "behaviour.spend", "params": {"days": 365, "game": 1}, "op": "ge", "value": 10_000},
    ]
}


def _players(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as connection:
        for start in range(1, n + 1, 50_000):
            connection.execute(
                insert(Player),
                [
                    {
                        "id": pid,
                        "last_name": "Игрок",
                        "first_name": str(pid),
                        "search_name": f"игрок {pid}",
                        "registered_at": at,
                        "registration_channel": "website",
                        "age_verified": True,
                        "under_age": False,
                        "status": "active",
                        "created_at": at,
                    }
                    for pid in range(start, min(start + 50_000, n + 1))
                ],
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--players", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--compact", action="store_true", help="compact the lake first (sorted by player)")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "lottocrm-bench")
    args = parser.parse_args()
    lake = synthetic_lake(args.folder, args.players, args.days)
    if args.compact:
        lake.compact("tickets")
    tickets = lake.row_count("tickets")
    files = len(lake.files("tickets"))
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/crm.sqlite3")
        migrate.upgrade(engine)
        _players(engine, args.players)
        node = parse(DOCUMENT)
        at = dt.datetime.combine(AS_OF, dt.time(12), dt.UTC)
        with clock.frozen(at, "Europe/Moscow"), session_factory(engine)() as session:
            frame = frame_at(session, lake=lake)
            leaves = enumerate(conditions(node))
            specs = {behaviour.spec_of(session, leaf, frame.today): n for n, leaf in leaves}
            started = time.perf_counter()
            aggregated = sum(len(chunk) for chunk in behaviour._aggregate(lake, specs))
            aggregate = time.perf_counter() - started
            started = time.perf_counter()
            frame.prepare(node)
            staged = time.perf_counter() - started
            rows = behaviour.staged_rows(session, frame.batch)
            started = time.perf_counter()
            size = count(session, node, frame)
            counted = time.perf_counter() - started
            started = time.perf_counter()
            for pid in range(1, 21):
                values_for(session, node, frame, pid)
            one = (time.perf_counter() - started) / 20
            session.rollback()
        engine.dispose()
    print(
        f"{args.players:,} players, {tickets:,} tickets in {files} files: aggregate alone {aggregate:.2f} s "
        f"({aggregated:,} rows), aggregate + stage {staged:.2f} s ({rows:,} rows), "
        f"count {counted:.2f} s ({size:,} in the audience), one player {one * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
