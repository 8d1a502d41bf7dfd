"""The dashboard's segment-migration chart: uncached (as before) against report_cache hits, per dialect.

Builds ``player_analytics`` for N players at two as-of dates (random lifecycle segments, other columns
filled as `lottocrm mart` would leave them), then times, in the same run:

- the segment-migration query computed directly — what every dashboard load paid before the cache;
- the report runner on a miss (compute and store) and on hits (repeated loads);
- the raw engine reading the record's version alone (the floor a hit cannot go under).

    .venv/bin/python bench/segments_bench.py --players 100000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil
from sqlalchemy import Engine, create_engine, delete, text
from sqlalchemy.engine import make_url

from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.segments import SEGMENT_LABELS
from lottocrm.analytics.queries.models import ReportCacheEntry
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.analytics.queries.segment_migration import SegmentMigrationQuery, compared
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, transaction

DATES = (dt.date(2026, 3, 1), dt.date(2026, 3, 29))
KEY_SQL = text("SELECT as_of, event_id FROM player_analytics_writes ORDER BY as_of")


def load(engine: Engine, n: int, rng: np.random.Generator) -> float:
    started = time.perf_counter()
    migrate.upgrade(engine)
    segments = np.array(list(SEGMENT_LABELS))
    base = {
        c.name: (None if c.nullable else 0)
        for c in PlayerAnalytics.__table__.columns
        if c.name not in ("as_of", "player_id", "segment")
    }
    for as_of in DATES:
        chosen = segments[rng.integers(0, len(segments), n)]
        for start in range(0, n, 20_000):
            rows = [
                {**base, "as_of": as_of, "player_id": pid + 1, "segment": str(chosen[pid])}
                for pid in range(start, min(start + 20_000, n))
            ]
            with engine.begin() as connection:
                connection.execute(PlayerAnalytics.__table__.insert(), rows)
    return time.perf_counter() - started


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def bench(engine: Engine, repeats: int) -> list[tuple[str, float, float]]:
    query = SegmentMigrationQuery()
    runner = ReportRunner(engine)

    def uncached() -> None:
        with engine.connect() as connection:
            query.calculate(connection)

    def clear() -> None:
        with transaction(engine) as session:
            session.execute(delete(ReportCacheEntry))

    def miss() -> None:
        clear()
        runner.run(query)

    def raw_key() -> None:
        with engine.connect() as connection:
            connection.execute(KEY_SQL).all()

    slow_repeats = max(3, repeats // 10)
    uncached()  # warm the DuckDB and Ibis imports once, outside the samples
    rows = [("uncached (before)", *summary(timed(uncached, slow_repeats)))]
    rows.append(("cache miss (compute + store)", *summary(timed(miss, slow_repeats))))
    table = runner.run(query)
    assert compared(table) == DATES and table.num_rows > 0
    rows.append(("cache hit (after)", *summary(timed(lambda: runner.run(query), repeats))))
    rows.append(("raw engine: key query alone", *summary(timed(raw_key, repeats))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--postgres", help="admin URL; a scratch database is created and dropped")
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    work = Path(tempfile.mkdtemp(prefix="segments-bench-"))
    load_avg = os.getloadavg()
    results: list[tuple[str, str, float, float]] = []
    loads: dict[str, float] = {}
    try:
        engine = make_engine(f"sqlite:///{work / 'crm.sqlite3'}")
        print(f"loading SQLite: {args.players:,} players × {len(DATES)} dates", flush=True)
        loads["SQLite"] = load(engine, args.players, rng)
        results += [("SQLite", *r) for r in bench(engine, args.repeats)]
        engine.dispose()
        if args.postgres:
            name = f"segments_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            engine = make_engine(url)
            try:
                print(f"loading PostgreSQL: {args.players:,} players × {len(DATES)} dates", flush=True)
                loads["PostgreSQL"] = load(engine, args.players, rng)
                results += [("PostgreSQL", *r) for r in bench(engine, args.repeats)]
            finally:
                engine.dispose()
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"\n## Web: dashboard segment migration, uncached vs report_cache — {dt.date.today().isoformat()}\n",
        "Command: `.venv/bin/python bench/segments_bench.py "
        f"--players {args.players} --repeats {args.repeats}"
        f"{' --postgres …' if args.postgres else ''}` (commit {commit}).",
        f"Machine: {platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GB RAM, Python {platform.python_version()}. "
        f"Load average before/after: {load_avg[0]:.1f} / {load_after[0]:.1f} (cores shared with other "
        "engineers' tests: upper bounds).",
        f"Scale: {args.players:,} players × {len(DATES)} as-of dates in player_analytics; loaded in "
        + ", ".join(f"{k} {v:.1f} s" for k, v in loads.items())
        + ". Functions called as the report API calls them (no HTTP). Uncached and miss: "
        f"{max(3, args.repeats // 10)} runs; hit and raw key: {args.repeats} runs.\n",
        "| dialect | case | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    lines += [f"| {d} | {case} | {p50:.2f} | {p95:.2f} |" for d, case, p50, p95 in results]
    by = {(d, case): p50 for d, case, p50, _ in results}
    for dialect in dict.fromkeys(d for d, *_ in results):
        hit, raw = by[(dialect, "cache hit (after)")], by[(dialect, "raw engine: key query alone")]
        before = by[(dialect, "uncached (before)")]
        lines.append(
            f"\n{dialect}: a hit is {before / hit:.0f}× faster than before (p50) and {hit / raw:.1f}× "
            "the raw key query."
        )
    text_out = "\n".join(lines) + "\n"
    print(text_out)
    with args.results.open("a", encoding="utf-8") as out:
        out.write(text_out)


if __name__ == "__main__":
    main()
