"""Events API throughput (issue #15: ≥ 5 000 events/s accepted and validated in batches of 500).

Per dialect: a fresh database with ``--players`` players and three games, a key scoped to ``events:send``,
``lottocrm serve`` (uvicorn, one worker) on a loopback port, and ``--clients`` threads posting pre-built
batches of 500 over kept-alive connections. A batch mixes what a website sends (page and game views,
banners, sign-ins, some purchases and deposits; a fifth anonymous; 1 % invalid, which become dead letters).
Raw engine in the same run: the same rows inserted straight into ``player_events`` by SQLAlchemy Core, 500
per transaction, with nothing validated or looked up. After the run the store is counted against the answers.

    .venv/bin/python bench/event_api_bench.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from contactable_bench import PLAYERS, _dialect_sql
from scratch_db import on_each_dialect
from sqlalchemy import Engine, delete, func, select, text
from till_bench import Server

from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.catalog.models import Game
from lottocrm.db.engine import transaction
from lottocrm.player_events.checks import check
from lottocrm.player_events.models import DeadLetter, PlayerEvent

BENCH = Actor("bench:events")
GAMES = ("rusloto", "gzhl", "keno")
# (type, share of a batch, properties)
MIX: tuple[tuple[str, float], ...] = (
    ("page_view", 0.45),
    ("game_view", 0.15),
    ("banner_impression", 0.15),
    ("sign_in", 0.08),
    ("banner_click", 0.04),
    ("ticket_purchase", 0.08),
    ("deposit", 0.05),
)


def _properties(kind: str, n: int) -> dict[str, Any]:
    game = GAMES[n % len(GAMES)]
    return {
        "page_view": {"url": f"https://www.example-lottery.ru/draws/{n % 400}", "title": "Тиражи"},
        "game_view": {"game": game},
        "banner_impression": {"placement": "home-top", "offer": f"offer-{n % 200}"},
        "banner_click": {"placement": "home-top", "offer": f"offer-{n % 200}"},
        "sign_in": {"method": "password"},
        "ticket_purchase": {
            "game": game,
            "ticket_id": f"T{n}",
            "amount_kopecks": 10_000,
            "draw_number": 1500,
        },
        "deposit": {"amount_kopecks": 50_000, "method": "sbp"},
    }[kind]


def make_batches(count: int, size: int, players: int, run: str) -> list[list[dict[str, Any]]]:
    kinds = [kind for kind, share in MIX for _ in range(round(share * 100))]
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    batches = []
    for b in range(count):
        batch = []
        for i in range(size):
            n = b * size + i
            kind = kinds[n % len(kinds)]
            anonymous = n % 5 == 0 and kind not in ("ticket_purchase", "deposit")
            event: dict[str, Any] = {
                "id": f"{run}-{n}",
                "type": kind,
                "channel": "website" if n % 3 else "app",
                "occurred_at": at,
                "properties": _properties(kind, n),
            }
            if anonymous:
                event["device_id"] = f"dev-{n % 50_000}"
            else:
                event["player_id"] = 1 + (n * 7919) % players
            if n % 100 == 99:
                event["properties"] = {"amount_kopecks": -1}  # refused: a dead letter
            batch.append(event)
        batches.append(batch)
    return batches


def _seed(engine: Engine, players: int) -> str:
    ids, values = _dialect_sql(engine, players)
    with engine.begin() as connection:
        connection.execute(text(ids + PLAYERS.format(**values).strip()))
    with transaction(engine) as session:
        for number, code in enumerate(GAMES, start=1):
            session.add(Game(id=number, code=code, name=code, kind="draw", ticket_price_kopecks=10_000))
        _, secret = auth.create_api_key(session, actor=BENCH, name="bench", scopes=["events:send"])
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return secret


def drive(base: str, key: str, bodies: list[bytes], clients: int) -> tuple[float, list[float], list[Any]]:
    """Post every body once, ``clients`` at a time; (seconds, latency per batch, answers)."""
    latencies: list[float] = []
    answers: list[Any] = []
    lock = threading.Lock()
    queue = list(reversed(bodies))

    def client() -> None:
        headers = {"X-API-Key": key, "Content-Type": "application/json"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                started = time.perf_counter()
                answer = http.post("/api/v1/events", content=body)
                elapsed = time.perf_counter() - started
                if answer.status_code != 200:
                    raise RuntimeError(f"{answer.status_code}: {answer.text[:300]}")
                with lock:
                    latencies.append(elapsed)
                    answers.append(answer.json())

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, answers


def raw_insert(engine: Engine, batches: list[list[dict[str, Any]]]) -> float:
    """The same events as rows, 500 per transaction, straight into the table: the engine's ceiling."""
    now = dt.datetime.now(dt.UTC)
    rows_per_batch = []
    for batch in batches:
        rows = []
        for event in batch:
            found = check(event, now=now)
            if hasattr(found, "envelope"):
                rows.append(
                    {
                        "event_id": "raw-" + event["id"],
                        "type": event["type"],
                        "channel": event["channel"],
                        "occurred_at": found.occurred_at,
                        "received_at": now,
                        "player_id": event.get("player_id"),
                        "claimed_player_id": None,
                        "device_id": event.get("device_id"),
                        "properties": event["properties"],
                        "source": "raw",
                    }
                )
        rows_per_batch.append(rows)
    table = PlayerEvent.__table__
    started = time.perf_counter()
    for rows in rows_per_batch:
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(delete(table).where(table.c.source == "raw"))
    return seconds


def measure(engine: Engine, label: str, args: argparse.Namespace, report: list[str]) -> None:
    print(f"{label}: seeding {args.players:,} players", flush=True)
    key = _seed(engine, args.players)
    url = engine.url.render_as_string(hide_password=False)
    run = uuid.uuid4().hex[:6]
    batches = make_batches(args.batches + args.warmup, args.batch, args.players, run)
    bodies = [json.dumps({"events": batch}).encode() for batch in batches]
    events = args.batches * args.batch
    with tempfile.TemporaryDirectory() as data:
        server = Server(url, Path(data), workers=1)
        try:
            drive(server.base, key, bodies[: args.warmup], 1)
            cpu_before = server.cpu_seconds()
            seconds, latencies, answers = drive(server.base, key, bodies[args.warmup :], args.clients)
            cpu = server.cpu_seconds() - cpu_before
        finally:
            server.stop()
    accepted = sum(a["accepted"] for a in answers)
    refused = sum(len(a["refused"]) for a in answers)
    with transaction(engine) as session:
        stored = session.scalar(select(func.count()).select_from(PlayerEvent))
        letters = session.scalar(select(func.count()).select_from(DeadLetter))
    warm = args.warmup * args.batch
    assert stored == accepted + warm - warm // 100, (stored, accepted)
    assert letters == refused + warm // 100, (letters, refused)
    raw = raw_insert(engine, batches[args.warmup :])
    rate, raw_rate = events / seconds, (accepted) / raw
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    report.append(
        f"| {label} | {events:,} in {seconds:.1f} s: **{rate:,.0f} events/s** (accepted {accepted:,}, "
        f"refused {refused:,}) | batch median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms | server CPU {cpu / events * 1e6:.0f} µs/event | "
        f"raw INSERT {raw_rate:,.0f} rows/s ({raw_rate / rate:.1f}×) |"
    )
    print(report[-1], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to also measure on")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    report: list[str] = []
    print(f"load at start: {os.getloadavg()[0]:.1f}", flush=True)
    on_each_dialect(
        args.postgres,
        lambda engine, label: measure(engine, label, args, report),
        skip_sqlite=args.skip_sqlite,
    )
    print("\n| dialect | throughput | latency | server | raw engine |\n|---|---|---|---|---|")
    print("\n".join(report))


if __name__ == "__main__":
    main()
