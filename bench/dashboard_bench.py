"""The dashboard once its reports are computed ahead: the page and its report calls, per dialect.

Builds a store of N players (web_bench's loader), a lake of M tickets over 24 months (web_bench's) and an
analytical record at two as-of dates (segments_bench's), then, through the real app (FastAPI's TestClient,
signed in as a marketer, so the session check, the cache and the template are all in):

- computes every report the dashboard shows, as the worker's subscribers do after an import or a write-back
  (timed once: how long the figures take to be ready);
- times ``GET /dashboard`` and every ``GET /api/v1/reports/…`` its charts load, all served from the cache;
- times, in the same run, the raw engine: the ``report_cache`` lookup of the dashboard's keys alone (the floor
  a cached page cannot go under), and a raw DuckDB monthly group-by over the lake (what one uncached KPI
  chart costs at the least);
- times the page with nothing stored (before any worker ran): it must not compute either.

Target: p95 < 300 ms at 10^6 players for the page and each report call.

    .venv/bin/python bench/dashboard_bench.py --players 1000000 --tickets 10000000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import psutil
from fastapi.testclient import TestClient
from segments_bench import load as load_record
from sqlalchemy import Engine, create_engine, delete, select, text, tuple_
from sqlalchemy.engine import make_url
from web_bench import build_lake, load_store, summary, timed

from lottocrm.analytics.queries.cache import cache_key
from lottocrm.analytics.queries.models import ReportCacheEntry
from lottocrm.analytics.queries.refresh import compute_dashboard
from lottocrm.analytics.queries.registry import dashboard_reports
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.analytics.queries.sources import source_versions
from lottocrm.auth.models import User
from lottocrm.auth.passwords import hash_password
from lottocrm.catalog.models import Game
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import build_settings
from lottocrm.web.app import create_app

PASSWORD = "bench horse battery staple"
TARGET_P95_MS = 300
MONTHLY_SQL = (
    "SELECT date_trunc('month', sold_at) AS month, count(*), sum(price_kopecks), count(DISTINCT player_id) "
    "FROM tickets GROUP BY 1 ORDER BY 1"
)


def seed_catalogue_and_user(engine: Engine) -> None:
    """The seven games web_bench's lake sells, and a marketer to sign in as."""
    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        session.add_all(
            Game(
                id=game,
                code=f"game{game}",
                name=f"Игра {game}",
                kind="instant",
                ticket_price_kopecks=10_000,
                active=True,
            )
            for game in range(1, 8)
        )
        session.add(
            User(
                username="bench-marketer",
                display_name="Bench",
                role="marketer",
                password_hash=hash_password(PASSWORD),
                disabled=False,
                failed_logins=0,
                locale="ru",
                created_at=now,
                password_changed_at=now,
            )
        )


def sign_in(client: TestClient) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token, "no sign-in form"
    answer = client.post(
        "/login",
        data={"username": "bench-marketer", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text


def ok(client: TestClient, path: str) -> Callable[[], None]:
    def call() -> None:
        answer = client.get(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"

    return call


def bench_dialect(engine: Engine, url: str, lake: Lake, work: Path, repeats: int) -> list[tuple]:
    settings = build_settings(data_dir=work, database_url=url, lake_dir=lake.root)
    reports = dashboard_reports()
    rows: list[tuple] = []
    started = time.perf_counter()
    compute_dashboard(engine, lake=lake)
    rows.append(
        ("every dashboard report computed (the worker, after an import)", time.perf_counter() - started)
    )

    with TestClient(create_app(settings), base_url="https://testserver", follow_redirects=False) as client:
        sign_in(client)
        page = client.get("/dashboard").text
        assert "aria-busy" not in page, "the page found a report missing after the refresh"
        rows.append(("GET /dashboard, precomputed", *summary(timed(ok(client, "/dashboard"), repeats))))
        pooled: list[float] = []
        for name in reports:
            samples = timed(ok(client, f"/api/v1/reports/{name}"), repeats)
            pooled += samples
            rows.append((f"GET /api/v1/reports/{name}, precomputed", *summary(samples)))
        rows.append(("every report call above, pooled", *summary(pooled)))

        runner_reports = list(reports.values())
        runner = ReportRunner(engine, lake=lake)
        rows.append(
            (
                "ReportRunner.stored, every report (no HTTP)",
                *summary(timed(lambda: runner.stored(runner_reports), repeats)),
            )
        )

        with engine.connect() as connection:
            versions = source_versions(
                (source for query in runner_reports for source in query.sources),
                connection=connection,
                lake=lake,
            )
        keys = [(key.query, key.inputs) for key in (cache_key(query, versions) for query in runner_reports)]
        lookup = select(ReportCacheEntry.result).where(
            tuple_(ReportCacheEntry.query_key, ReportCacheEntry.input_key).in_(keys)
        )

        def raw_lookup() -> None:
            with engine.connect() as connection:
                assert len(connection.execute(lookup).all()) == len(keys)

        rows.append(("raw engine: report_cache lookup of those keys", *summary(timed(raw_lookup, repeats))))

        raw_duck = lake.connect(duckdb.connect())
        slow = max(3, repeats // 10)
        rows.append(
            (
                "raw DuckDB: monthly tickets, revenue, players over the lake (one uncached KPI at least)",
                *summary(timed(lambda: raw_duck.execute(MONTHLY_SQL).fetchall(), slow)),
            )
        )
        raw_duck.close()

        with transaction(engine) as session:
            session.execute(delete(ReportCacheEntry))
        rows.append(
            (
                "GET /dashboard, nothing stored yet (no worker)",
                *summary(timed(ok(client, "/dashboard"), repeats)),
            )
        )
        with transaction(engine) as session:
            assert session.scalar(select(ReportCacheEntry.query_key).limit(1)) is None, "the page computed"
    return rows


def prepare(engine: Engine, players: int, rng: np.random.Generator) -> float:
    started = time.perf_counter()
    load_store(engine, players, rng)
    load_record(engine, players, rng)
    seed_catalogue_and_user(engine)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--postgres", help="admin URL; a scratch database is created and dropped")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    rng = np.random.default_rng(13)
    work = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    load_avg = os.getloadavg()
    results: list[tuple] = []
    loads: dict[str, float] = {}
    try:
        lake = Lake(work / "lake")
        print(f"building lake: {args.tickets:,} tickets", flush=True)
        lake_seconds = build_lake(lake.root, args.players, args.tickets, rng, "time")
        if not args.no_sqlite:
            url = f"sqlite:///{work / 'crm.sqlite3'}"
            engine = make_engine(url)
            print(f"loading SQLite: {args.players:,} players, record at 2 dates", flush=True)
            loads["SQLite"] = prepare(engine, args.players, rng)
            results += [
                ("SQLite", *row) for row in bench_dialect(engine, url, lake, work / "sqlite", args.repeats)
            ]
            engine.dispose()
        if args.postgres:
            name = f"dashboard_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            engine = make_engine(url)
            try:
                print(f"loading PostgreSQL: {args.players:,} players, record at 2 dates", flush=True)
                loads["PostgreSQL"] = prepare(engine, args.players, rng)
                results += [
                    ("PostgreSQL", *row)
                    for row in bench_dialect(engine, url, lake, work / "pg", args.repeats)
                ]
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
        f"\n## Web: dashboard served from report_cache — {dt.date.today().isoformat()}\n",
        "Command: `.venv/bin/python bench/dashboard_bench.py "
        f"--players {args.players} --tickets {args.tickets} --repeats {args.repeats}"
        f"{' --no-sqlite' if args.no_sqlite else ''}"
        f"{' --postgres …' if args.postgres else ''}` (commit {commit}).",
        f"Machine: {platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GB RAM, Python {platform.python_version()}. "
        f"Load average before/after: {load_avg[0]:.1f} / {load_after[0]:.1f}.",
        f"Scale: {args.players:,} players (with 3 identities each) and their record at 2 as-of dates; "
        f"{args.tickets:,} tickets over 24 months, written in {lake_seconds:.1f} s. Store loaded in "
        + ", ".join(f"{k} {v:.1f} s" for k, v in loads.items())
        + ". Requests through the app in process (TestClient, signed in: session check, cache, template), "
        f"{args.repeats} each; the raw DuckDB query {max(3, args.repeats // 10)} times.\n",
        "| dialect | case | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    for dialect, case, *times in results:
        if len(times) == 1:
            lines.append(f"| {dialect} | {case} | {times[0]:.1f} s, once | |")
        else:
            lines.append(f"| {dialect} | {case} | {times[0]:.2f} | {times[1]:.2f} |")
    by = {(dialect, case): times for dialect, case, *times in results}
    for dialect in dict.fromkeys(d for d, *_ in results):
        page = by[(dialect, "GET /dashboard, precomputed")]
        calls = by[(dialect, "every report call above, pooled")]
        raw = by[(dialect, "raw engine: report_cache lookup of those keys")]
        duck = by[(dialect, next(c for d, c, *_ in results if d == dialect and c.startswith("raw DuckDB")))]
        verdict = "met" if max(page[1], calls[1]) < TARGET_P95_MS else "NOT met"
        lines.append(
            f"\n{dialect}: page p95 {page[1]:.1f} ms, report calls p95 {calls[1]:.1f} ms — target p95 < "
            f"{TARGET_P95_MS} ms {verdict}. The page's p50 is {page[0] / raw[0]:.1f}× the raw lookup's; "
            f"one raw DuckDB monthly group-by takes {duck[0] / page[0]:.1f}× the page's p50."
        )
    text_out = "\n".join(lines) + "\n"
    print(text_out)
    with args.results.open("a", encoding="utf-8") as out:
        out.write(text_out)


if __name__ == "__main__":
    main()
