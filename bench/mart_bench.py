"""Mart benchmark: the player analytical record (with segments and RFM levels) over a synthetic lake,
against a raw DuckDB per-player group-by of the same tickets in the same run.

    .venv/bin/python bench/mart_bench.py [--tickets 10000000] [--players 100000] [--repeats 3]
        [--engine duckdb|pyspark] [--work /tmp/mart-lake]

The lake is written by a child process (so the peak RSS reported is the queries', not the writer's) into a
temporary folder, or into ``--work`` where it is kept and reused by the next run with the same sizes. Times
are wall seconds and the process's CPU seconds (all engine threads); under a shared machine the CPU ratio is
the steadier figure. The lake is synthetic (uniform players, 8 games of which 2 instant, 5 channels, two
years of sales, 2 % of tickets winning) so 10^7 tickets are written in seconds; the simulator's realism does
not change the query plan. Both sides read the same Parquet files through the lake's DuckDB views and fetch
their result as Arrow.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lottocrm.analytics.extracts import PLAYERS_SCHEMA
from lottocrm.analytics.mart.build import MartBuilder, MartOptions
from lottocrm.lake.schemas import TICKETS, WINS
from lottocrm.lake.store import Lake

START = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
SPAN_SECONDS = 730 * 86_400
AS_OF = dt.date(2026, 10, 31)
CHUNK = 1_000_000
CHANNELS = np.array(["retail_kiosk", "post_office", "website", "app", "partner"])
PRICES = np.array([5_000, 10_000, 20_000, 30_000, 50_000], dtype=np.int64)


def _write_lake(lake: Lake, *, tickets: int, players: int, rng: np.random.Generator) -> None:
    start_us = int(START.timestamp() * 1_000_000)
    with (
        lake.writer("tickets", batch_id="bench-tickets") as tickets_out,
        lake.writer("wins", batch_id="bench-wins") as wins_out,
    ):
        for first in range(0, tickets, CHUNK):
            n = min(CHUNK, tickets - first)
            ids = np.arange(first + 1, first + n + 1, dtype=np.int64)
            player = rng.integers(1, players + 1, n)
            anonymous = rng.random(n) < 0.1
            game = rng.integers(1, 9, n).astype(np.int32)
            sold_us = start_us + np.sort(rng.integers(0, SPAN_SECONDS * 1_000_000, n))
            tickets_out.write(
                pa.table(
                    {
                        "ticket_id": ids,
                        "player_id": pa.array(player, mask=anonymous),
                        "game_id": game,
                        "draw_id": pa.array(ids, mask=game >= 7),
                        "channel": CHANNELS[rng.integers(0, len(CHANNELS), n)],
                        "pos_id": pa.nulls(n, pa.int64()),
                        "region": np.full(n, "RU-MOW"),
                        "price_kopecks": PRICES[rng.integers(0, len(PRICES), n)],
                        "sold_at": pa.array(sold_us, type=pa.timestamp("us", tz="UTC")),
                    },
                    schema=TICKETS.schema,
                )
            )
            winning = rng.random(n) < 0.02
            w = int(winning.sum())
            wins_out.write(
                pa.table(
                    {
                        "win_id": ids[winning],
                        "ticket_id": ids[winning],
                        "player_id": pa.array(player[winning], mask=anonymous[winning]),
                        "game_id": game[winning],
                        "draw_id": pa.nulls(w, pa.int64()),
                        "prize_tier": np.full(w, 3, dtype=np.int16),
                        "amount_kopecks": rng.integers(10_000, 10_000_000, w),
                        "won_at": pa.array(
                            sold_us[winning] + 3_600_000_000, type=pa.timestamp("us", tz="UTC")
                        ),
                        "claimed": np.zeros(w, dtype=bool),
                        "claimed_at": pa.nulls(w, pa.timestamp("us", tz="UTC")),
                    },
                    schema=WINS.schema,
                )
            )


def _players(players: int, rng: np.random.Generator) -> pa.Table:
    registered_us = int(START.timestamp() * 1_000_000) - rng.integers(0, SPAN_SECONDS * 1_000_000, players)
    return pa.table(
        {
            "player_id": np.arange(1, players + 1, dtype=np.int64),
            "registered_at": pa.array(registered_us, type=pa.timestamp("us", tz="UTC")),
            "region": np.full(players, "RU-MOW"),
        },
        schema=PLAYERS_SCHEMA,
    )


def _best_of(repeats: int, run: Callable[[], pa.Table]) -> tuple[float, float, float, int]:
    """(best, median) wall seconds and best CPU seconds over ``repeats`` runs, and the result's rows."""
    seconds, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        rows = run().num_rows
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(seconds), statistics.median(seconds), min(cpu), rows


def _prepare(folder: Path, tickets: int, players: int) -> None:
    """Write the lake and the players file (in a child process: its memory is not the benchmark's)."""
    rng = np.random.default_rng(20261122)
    _write_lake(Lake(folder / "lake"), tickets=tickets, players=players, rng=rng)
    pq.write_table(_players(players, rng), folder / "players.parquet")


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = f"Python {platform.python_version()}, duckdb {duckdb.__version__}, ibis {ibis.__version__}"
    return f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GB RAM, {versions}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engine", choices=("duckdb", "pyspark"), default="duckdb")
    parser.add_argument("--work", type=Path, help="keep the lake here and reuse it on the next run")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=args.work.parent if args.work else None) as scratch:
        folder = args.work / f"{args.tickets}-{args.players}" if args.work else Path(scratch)
        write_seconds = None
        if not (folder / "players.parquet").exists():
            started = time.perf_counter()
            child = multiprocessing.get_context("spawn").Process(
                target=_prepare, args=(folder, args.tickets, args.players)
            )
            child.start()
            child.join()
            if child.exitcode != 0:
                raise SystemExit(f"writing the lake failed (exit code {child.exitcode})")
            write_seconds = time.perf_counter() - started
        lake = Lake(folder / "lake")
        builder = MartBuilder(
            lake=lake,
            players=pq.read_table(folder / "players.parquet"),
            options=MartOptions(timezone="Europe/Moscow", engine=args.engine),
        )
        raw_connection = lake.connect(duckdb.connect())
        cutoff = dt.datetime(2026, 10, 30, 21, tzinfo=dt.UTC)  # midnight of the as-of day in Moscow
        raw_sql = (
            "SELECT player_id, count(*) AS tickets, sum(price_kopecks) AS spend, min(sold_at) AS first, "
            "max(sold_at) AS last FROM tickets WHERE player_id IS NOT NULL AND sold_at < ? GROUP BY player_id"
        )
        try:
            raw = _best_of(
                args.repeats, lambda: raw_connection.sql(raw_sql, params=[cutoff]).to_arrow_table()
            )
            mart = _best_of(args.repeats, lambda: builder.build(AS_OF))
        finally:
            builder.close()
            raw_connection.close()
    load_after = os.getloadavg()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    command = "bench/mart_bench.py " + " ".join(sys.argv[1:])
    print(f"\n## Player mart ({dt.date.today()})\n")
    print(f"Command: `.venv/bin/python {command.strip()}`  ")
    print(f"Machine: {_machine()}  ")
    print(
        f"Load average: {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
        f"peak RSS of the benchmark process (queries only) {peak_mb:,.0f} MB  "
    )
    written = f"written in {write_seconds:.1f} s" if write_seconds is not None else f"reused from {folder}"
    print(f"Synthetic lake of {args.tickets:,} tickets, {args.players:,} players {written}\n")
    print("| case | rows out | best wall s | median wall s | best CPU s | vs raw (wall) | vs raw (CPU) |")
    print("|---|---|---|---|---|---|---|")
    cases = (
        ("raw DuckDB group-by (count, sum, min, max per player)", raw),
        (f"mart: record + segment + RFM levels (Ibis → {args.engine})", mart),
    )
    for label, (best, median, cpu, rows) in cases:
        print(
            f"| {label} | {rows:,} | {best:.2f} | {median:.2f} | {cpu:.2f} | {best / raw[0]:.1f}× | "
            f"{cpu / raw[2]:.1f}× |"
        )


if __name__ == "__main__":
    main()
