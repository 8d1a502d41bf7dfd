"""Banner decisions (issue #15: p99 ≤ 10 ms at ≥ 1 000 requests/s with 200 live offers, against bare
FastAPI serving a constant in the same run).

Per dialect: a fresh database with ``--players`` players (consents and contactability rows as in
``contactable_bench``, plus an advertising grant on the web for three players in four; some blocked, some
self-excluded), one placement with ``--offers`` live offers (values, audiences, regions and per-player caps
varied), a key scoped to ``decisions:ask``, and ``lottocrm serve`` (uvicorn, one worker) on a loopback port.
Baseline in the same run: ``decisions_constant_app`` (bare FastAPI, one uvicorn worker, a constant body).

Each server is driven open-loop: requests are *scheduled* at ``--rate`` a second for ``--seconds`` over up to
``--connections`` kept-alive connections, and a latency runs from the scheduled moment to the answer, so a
server that falls behind is charged for the queue (no coordinated omission). A request names one of
``--visitors`` players (80 %) or an anonymous device (20 %), so most decisions find the player's facts in
memory, as on a website where a visitor sees several pages. Then each server is driven closed-loop by
``--connections`` clients to find its ceiling. The load generator shares the two cores.

    .venv/bin/python bench/decisions_bench.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
from contactable_bench import _dialect_sql, load
from scratch_db import on_each_dialect
from sqlalchemy import Engine, func, select, text
from till_bench import ROOT, Server, Till, _free_port, process_tree_cpu

from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.contact_policy import standing
from lottocrm.contact_policy.service import policy_in_force
from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions import offers
from lottocrm.marketing.decisions.models import BannerOffer
from lottocrm.player_events.models import PlayerEvent

BENCH = Actor("bench:decisions")
WEB_CONSENT = """
INSERT INTO consent_events (player_id, purpose, channel, granted, occurred_at, source, notice_version,
                            recorded_at)
SELECT i, 'advertising', 'web', {true}, {registered}, 'website', 'ad-2025.1', {registered} FROM ids
WHERE i % 4 <> 0
"""
REGIONS = ("RU-MOW", "RU-SPE", "RU-NVS", "RU-SVE")


def seed(engine: Engine, players: int, offer_count: int) -> str:
    load(engine, players)  # players, consents, phones, exclusions, touches; their contactability rows
    ids, values = _dialect_sql(engine, players)
    with engine.begin() as connection:
        connection.execute(text(ids + WEB_CONSENT.format(**values).strip()))
        standing.rebuild(connection, policy=policy_in_force(connection)[1])
    start, end = offers_window()
    rng = random.Random(7)
    with transaction(engine) as session:
        placement = offers.create_placement(
            session,
            actor=BENCH,
            code="home_top",
            name="Главная, верх",
            default_title="Играйте ответственно",
            default_text="Лотереи — это игра, а не заработок",
            default_link_url="/responsible",
            player_daily_cap=50,
        )
        for number in range(offer_count):
            audience = ("everyone", "everyone", "players", "anonymous")[number % 4]
            session.add(
                BannerOffer(
                    code=f"offer-{number:03d}",
                    name=f"Предложение {number}",
                    placement_id=placement.id,
                    title=f"Предложение {number}",
                    text="Купите билет на ближайший тираж",
                    image_url="/static/banners/jackpot.svg",
                    link_url=f"/games/offer-{number:03d}",
                    audience=audience,
                    regions=[] if number % 3 else [REGIONS[number % len(REGIONS)]],
                    value_per_mille_kopecks=rng.randint(1_000, 100_000),
                    weight_percent=rng.choice((50, 100, 100, 150)),
                    budget_unit="impressions",
                    budget=10**9,
                    cost_per_impression=1,
                    spent=0,
                    player_daily_cap=rng.randint(2, 10),
                    starts_at=start,
                    ends_at=end,
                    status="live",
                    created_at=start,
                    created_by=BENCH.name,
                    updated_at=start,
                )
            )
        _, secret = auth.create_api_key(session, actor=BENCH, name="bench", scopes=["decisions:ask"])
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return secret


def offers_window():  # type: ignore[no-untyped-def]
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(days=1), now + dt.timedelta(days=30)


def bodies(count: int, players: int, visitors: int, seed_value: int) -> list[bytes]:
    rng = random.Random(seed_value)
    pool = rng.sample(range(1, players + 1), visitors)
    made = []
    for n in range(count):
        if n % 5 == 4:
            body = {"placement": "home_top", "device_id": f"dev-{rng.randrange(visitors)}"}
        else:
            body = {"placement": "home_top", "player_id": rng.choice(pool)}
        made.append(json.dumps(body).encode())
    return made


@dataclass
class Run:
    label: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]
    kinds: Counter[str]
    cpu_seconds: float

    def quantile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


class Visitor(Till):
    """A website's kept-alive connection to the decision API (the till bench's raw HTTP/1.1 client: httpx
    would spend as much CPU per call as the server, on the same two cores)."""

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Api-Key: {self.key}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        try:
            return await self._exchange(request)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            self.retries += 1
            return await self._exchange(request)


async def _post(till: Till, body: bytes) -> tuple[int, bytes]:
    return await till.post("/api/v1/decisions", body)


def _kind(status: int, answer: bytes) -> str:
    if status != 200:
        return f"HTTP {status}"
    found = json.loads(answer)
    return found.get("default_because") or found["kind"]


async def open_loop(port: int, key: str, payloads: list[bytes], rate: float, connections: int) -> Run:
    """Send ``payloads`` scheduled ``1/rate`` apart; latency from the scheduled moment to the answer."""
    idle: asyncio.Queue[Till] = asyncio.Queue()
    tills = [Visitor(port, key) for _ in range(connections)]
    for till in tills:
        idle.put_nowait(till)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def one(n: int, body: bytes) -> None:
        scheduled = started + n / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        till = await idle.get()
        try:
            status, answer = await _post(till, body)
        finally:
            idle.put_nowait(till)
        latencies.append((loop.time() - scheduled) * 1000)
        statuses[status] += 1
        kinds[_kind(status, answer)] += 1

    await asyncio.gather(*(one(n, body) for n, body in enumerate(payloads)))
    seconds = loop.time() - started
    for till in tills:
        await till.close()
    return Run("", len(payloads), seconds, latencies, statuses, kinds, 0.0)


async def closed_loop(port: int, key: str, payloads: list[bytes], connections: int) -> Run:
    """``connections`` clients, each sending its next request as soon as the last is answered."""
    queue = list(reversed(payloads))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    kinds: Counter[str] = Counter()

    async def client() -> None:
        till = Visitor(port, key)
        while queue:
            body = queue.pop()
            sent = time.perf_counter()
            status, answer = await _post(till, body)
            latencies.append((time.perf_counter() - sent) * 1000)
            statuses[status] += 1
            kinds[_kind(status, answer)] += 1
        await till.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return Run("", len(payloads), time.perf_counter() - started, latencies, statuses, kinds, 0.0)


class ConstantServer:
    def __init__(self) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH")])),
        }
        command = [sys.executable, "-m", "uvicorn", "decisions_constant_app:app", "--port", str(self.port)]
        command += ["--workers", "1", "--no-proxy-headers", "--log-level", "warning", "--no-access-log"]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.post(f"http://127.0.0.1:{self.port}/api/v1/decisions", json={}, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the constant server did not start")

    def cpu_seconds(self) -> float:
        return process_tree_cpu(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


def drive(server, port: int, key: str, args: argparse.Namespace, label: str) -> list[Run]:  # type: ignore[no-untyped-def]
    """The paced runs (one per rate, highest first), then the closed-loop ceiling."""
    warm = bodies(args.warmup, args.players, args.visitors, 1)
    asyncio.run(closed_loop(port, key, warm, 4))
    runs = []
    for number, rate in enumerate(args.rates):
        paced = bodies(int(rate * args.seconds), args.players, args.visitors, 2 + number)
        cpu = server.cpu_seconds()
        run = asyncio.run(open_loop(port, key, paced, rate, args.connections))
        run.cpu_seconds, run.label = server.cpu_seconds() - cpu, f"{label}, paced {rate:,.0f}/s"
        runs.append(run)
        print(f"  {run.label}: p99 {run.quantile(0.99):.1f} ms, {run.kinds.most_common(3)}", flush=True)
    flat = bodies(args.saturation, args.players, args.visitors, 99)
    cpu = server.cpu_seconds()
    run = asyncio.run(closed_loop(port, key, flat, args.clients))
    run.cpu_seconds, run.label = server.cpu_seconds() - cpu, f"{label}, {args.clients} clients flat out"
    runs.append(run)
    return runs


def _row(dialect: str, run: Run) -> str:
    shares = ", ".join(f"{kind} {count / run.requests:.0%}" for kind, count in run.kinds.most_common())
    errors = sum(count for status, count in run.statuses.items() if status != 200)
    return (
        f"| {dialect} | {run.label} | {run.requests:,} in {run.seconds:.1f} s = {run.rate:,.0f}/s | "
        f"p50 {run.quantile(0.5):.1f} · p95 {run.quantile(0.95):.1f} · **p99 {run.quantile(0.99):.1f}** · "
        f"max {max(run.latencies_ms):.0f} ms | {run.cpu_seconds / run.requests * 1e6:,.0f} µs | "
        f"{errors} | {shares} |"
    )


def measure(engine: Engine, label: str, args: argparse.Namespace, report: list[str]) -> None:
    print(f"{label}: seeding {args.players:,} players, {args.offers} offers", flush=True)
    key = seed(engine, args.players, args.offers)
    url = engine.url.render_as_string(hide_password=False)
    print(f"{label}: load before the runs {os.getloadavg()[0]:.1f}", flush=True)
    constant = ConstantServer()
    try:
        baseline = drive(constant, constant.port, key, args, "bare FastAPI constant")
    finally:
        constant.stop()
    with tempfile.TemporaryDirectory() as data:
        server = Server(url, Path(data), workers=1)
        try:
            decisions = drive(server, server.port, key, args, "decisions")
        finally:
            server.stop()
    with transaction(engine) as session:
        stored = session.scalar(select(func.count()).select_from(PlayerEvent)) or 0
        spent = session.scalar(select(func.sum(BannerOffer.spent))) or 0
    offers_answered = sum(run.kinds["offer"] for run in decisions)
    # Every impression charged once and stored once (the warm-up's too, hence ≥).
    assert stored == spent >= offers_answered, (stored, spent, offers_answered)
    for base, run in zip(baseline, decisions, strict=True):
        report.append(_row(label, base))
        report.append(_row(label, run))
        print(report[-2] + "\n" + report[-1], flush=True)
    paced, base_paced = decisions[0], baseline[0]
    flat, base_flat = decisions[-1], baseline[-1]
    p99_ratio = paced.quantile(0.99) / base_paced.quantile(0.99)
    cpu_ratio = (flat.cpu_seconds / flat.requests) / (base_flat.cpu_seconds / base_flat.requests)
    report.append(
        f"| {label} | ratio decisions ÷ constant | p99 at {args.rates[0]:,.0f}/s: {p99_ratio:.1f}× | "
        f"ceiling {base_flat.rate / flat.rate:.1f}× fewer requests/s | CPU {cpu_ratio:.1f}× per request | | |"
    )
    print(report[-1], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=200)
    parser.add_argument("--visitors", type=int, default=20_000, help="distinct players and devices asking")
    parser.add_argument(
        "--rates",
        type=lambda text: [float(r) for r in text.split(",")],
        default=[1000.0, 100.0],
        help="paced rates, requests a second, comma-separated",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each paced run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--clients", type=int, default=16, help="closed-loop clients for the ceiling")
    parser.add_argument("--saturation", type=int, default=10_000, help="requests of the closed-loop run")
    parser.add_argument("--warmup", type=int, default=2_000)
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
    print(f"load at end: {os.getloadavg()[0]:.1f}")
    print(
        "\n| dialect | server | requests | latency (open loop: from the scheduled moment) | server CPU per "
        "request | non-200 | answers |\n|---|---|---|---|---|---|---|"
    )
    print("\n".join(report))


if __name__ == "__main__":
    main()
