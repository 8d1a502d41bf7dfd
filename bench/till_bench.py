"""Till API throughput: authorize + capture pairs per second and latency at 1, 8 and 32 concurrent tills.

For each dialect the script creates a fresh database, a partner with a till key and 4 096 funded cards,
starts ``lottocrm serve`` (uvicorn) on a free loopback port and drives it with an asyncio client whose tills
go round the cards one customer after another, a bounded number of pairs per level. On PostgreSQL it then
runs pgbench on the same database with a script issuing the same SQL statements an authorize and a capture
issue (minus HTTP, JSON and Python) — the raw ceiling — and reports the ratio, with PostgreSQL's own CPU per
call for both. Prints a Markdown block; ``--append`` adds it to bench/RESULTS.md.

    .venv/bin/python bench/till_bench.py --append
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url

from lottocrm.audit.service import Actor
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, transaction
from lottocrm.loyalty.ledger.accounts import partner_redeemed_account, programme_account
from lottocrm.loyalty.models import LoyaltyCard
from lottocrm.loyalty.programme import adjustments, members, partners
from lottocrm.players.models import Player
from lottocrm.security.api_keys import digest_api_key

ROOT = Path(__file__).resolve().parents[1]
# Enough cards that each sees a few calls a minute, as at real tills: the velocity check counts the card's
# calls in the last minute, so a bench that sends every call of a till from one card measures a count of
# hundreds of rows that no real card reaches (its limit, 30 a minute by default, stops it long before).
CARDS = 4096
LEVELS = (1, 8, 32)
# Who set the bench's partner, cards and points up, as the audit log records it.
BENCH = Actor("bench:till")


@dataclass
class Level:
    clients: int
    pairs: int
    seconds: float
    pair_latencies_ms: list[float]
    call_latencies_ms: list[float]
    failures: list[str] = field(default_factory=list)
    resent: int = 0  # calls sent again (same key) after the server closed an idle kept-alive connection

    @property
    def pairs_per_second(self) -> float:
        return self.pairs / self.seconds

    def p(self, q: float, calls: bool = True) -> float:
        values = sorted(self.call_latencies_ms if calls else self.pair_latencies_ms)
        return values[min(len(values) - 1, int(q * len(values)))]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(url: str) -> tuple[str, list[str], dict[str, int]]:
    """Migrate, register a partner and its key, fund CARDS cards. Returns key, card numbers, account ids."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = _now()
    with transaction(engine) as session:
        partner_id = partners.create_partner(session, code="bench", name="Bench Shop", now=now, actor=BENCH)
        key = partners.issue_key(session, partner_id=partner_id, now=now, actor=BENCH, label="bench")
        for player_id in range(1, CARDS + 1):
            session.add(
                Player(
                    id=player_id,
                    last_name="Б",
                    first_name="Б",
                    search_name="б б",
                    registered_at=now,
                    registration_channel="website",
                    age_verified=True,
                    under_age=False,
                    status="active",
                    created_at=now,
                )
            )
        session.flush()
        numbers = [
            members.issue_card(session, player_id=player_id, now=now, actor=BENCH)
            for player_id in range(1, CARDS + 1)
        ]
        # pgbench draws cards at random, so a card may by chance pass 30 calls in a minute: raised so that
        # no call of the bench is refused. The count itself stays short because calls spread over CARDS.
        session.execute(update(LoyaltyCard).values(max_ops_per_minute=1_000_000))
        for number in numbers:
            account_id = session.execute(
                select(LoyaltyCard.account_id).where(LoyaltyCard.number == number)
            ).scalar_one()
            adjustments.adjust(
                session,
                account_id=account_id,
                points=10_000_000,
                actor=BENCH,
                reason="funding",
                now=now,
            )
        ids = {"partner": partner_id, "holds": programme_account(session, "holds")}
        ids["redeemed"] = partner_redeemed_account(session, partner_id)
    engine.dispose()
    return key, numbers, ids


def process_tree_cpu(root: int, *, reaped_children: bool = False) -> float:
    """CPU seconds used by process ``root`` and its live children (Linux /proc); with ``reaped_children``
    also by the children it has already waited for — PostgreSQL's backends end with their connections."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        pid, parent = int(stat.parent.name), int(fields[1])
        if pid == root:
            total += sum(int(ticks) for ticks in fields[11 : 15 if reaped_children else 13]) / tick
        elif parent == root:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postmaster(url: str) -> int | None:
    """The PostgreSQL server's main process (a backend's parent), or None if it runs on another machine."""
    engine = create_engine(url)
    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        try:
            parent = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            parent = None
    engine.dispose()
    return parent


class PostgresCpu:
    """CPU PostgreSQL spends (every backend, background writers, autovacuum) over a span of calls."""

    def __init__(self, url: str) -> None:
        self.root = postmaster(url)

    def seconds(self) -> float | None:
        if self.root is None:
            return None
        time.sleep(0.2)  # backends of connections just closed are reaped and counted
        return process_tree_cpu(self.root, reaped_children=True)


def _per_call_ms(before: float | None, after: float | None, calls: int) -> str:
    return "—" if before is None or after is None else f"{(after - before) * 1000 / calls:.2f}"


class Server:
    def __init__(self, url: str, data_dir: Path, workers: int, *, subscriber: bool = False) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LOTTOCRM_DATABASE_URL": url, "LOTTOCRM_DATA_DIR": str(data_dir)}
        command = [str(Path(sys.executable).with_name("lottocrm")), "--quiet", "serve"]
        if subscriber:
            # uvicorn as `lottocrm serve` runs it, on an app with a redemption subscriber installed.
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "bench"), env.get("PYTHONPATH")]))
            command = [sys.executable, "-m", "uvicorn", "till_subscriber_app:create_app", "--factory"]
            command += ["--no-proxy-headers", "--log-level", "warning", "--no-access-log"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start")

    def cpu_seconds(self) -> float:
        """CPU the server has used so far, its worker processes included.

        Unlike calls/s this hardly moves when other work shares the cores, so it is the figure to compare
        across runs on a busy machine.
        """
        return process_tree_cpu(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class Till:
    """One till's keep-alive HTTP/1.1 connection, spoken directly over asyncio streams.

    The load generator shares the two cores with the server and PostgreSQL; httpx spent about as much CPU
    per call as the server does, which would make the bench measure the client. This sends the same bytes
    a till's HTTP client sends and reads the answer by its Content-Length.
    """

    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.retries = 0

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """Send once; if the server had closed the kept-alive connection (uvicorn closes one idle for 5 s),
        reconnect and resend with the same idempotency key, as a till does."""
        request = (
            f"POST /api/v1/loyalty{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Api-Key: {self.key}\r\nIdempotency-Key: {uuid.uuid4().hex}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        try:
            return await self._exchange(request)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            self.retries += 1
            return await self._exchange(request)

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(request)
        status_line, _, headers = (await self.reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", headers).group(1))  # type: ignore[union-attr]
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _till(till: Till, cards: list[str], pairs: int, level: Level) -> None:
    """``pairs`` authorize + capture pairs, each for the next of ``cards`` (a till serves one customer after
    another)."""
    for n in range(pairs):
        authorize = json.dumps({"card_number": cards[n % len(cards)], "points": 3}).encode()
        started = time.perf_counter()
        try:
            status, held = await till.post("/till/authorize", authorize)
            middle = time.perf_counter()
            if status != 200:
                raise RuntimeError(f"authorize answered {status}: {held[:120]!r}")
            status, captured = await till.post(f"/till/holds/{json.loads(held)['hold_id']}/capture", b"{}")
            if status != 200:
                raise RuntimeError(f"capture answered {status}: {captured[:120]!r}")
        except (RuntimeError, OSError, asyncio.IncompleteReadError) as exc:
            # Counted, not fatal: a failed call is a result to report, and the pair is not counted as done.
            level.failures.append(f"{type(exc).__name__}: {exc}"[:200])
            continue
        done = time.perf_counter()
        level.call_latencies_ms += [(middle - started) * 1000, (done - middle) * 1000]
        level.pair_latencies_ms.append((done - started) * 1000)


async def drive(port: int, key: str, cards: list[str], clients: int, pairs_per_client: int) -> Level:
    level = Level(
        clients=clients,
        pairs=clients * pairs_per_client,
        seconds=0,
        pair_latencies_ms=[],
        call_latencies_ms=[],
    )
    tills = [Till(port, key) for _ in range(clients)]
    try:
        # Warm every connection and the server (a worker's first calls compile and prepare statements).
        await asyncio.gather(
            *(_till(till, cards[n::clients], 5, Level(0, 0, 0, [], [])) for n, till in enumerate(tills))
        )
        started = time.perf_counter()
        # Till n serves cards n, n + clients, n + 2·clients …: together the tills go round all the cards.
        await asyncio.gather(
            *(_till(till, cards[n::clients], pairs_per_client, level) for n, till in enumerate(tills))
        )
        level.seconds = time.perf_counter() - started
    finally:
        for till in tills:
            await till.close()
    level.resent = sum(till.retries for till in tills)
    level.pairs = len(level.pair_latencies_ms)
    return level


# The SQL an authorize + capture pair sends today: one call of each till function (migration 0018), the hold
# id carried from the first to the second as the API carries it. The card number comes from a primary-key
# lookup by a random card id (pgbench cannot index a list), a little more work for the ceiling than for the
# API.
PGBENCH_SCRIPT = """\\set card random(1, {cards})
\\set k random(1, 9000000000000)
SELECT (o_body::json ->> 'hold_id')::bigint AS hold
FROM loyalty_till_authorize('{prefix}', '{digest}', 'pgb-a-' || :client_id || '-' || :k, repeat('0', 64),
    (SELECT number FROM loyalty_cards WHERE id = :card), NULL, 3, NULL,
    now(), now() + interval '15 minutes', interval '1 minute') \\gset
SELECT o_status
FROM loyalty_till_capture('{prefix}', '{digest}', 'pgb-c-' || :client_id || '-' || :k, repeat('0', 64),
    :hold, NULL, now());
"""


def pgbench(url: str, key: str, ids: dict[str, int], clients: int, pairs_per_client: int) -> Level:
    pg = make_url(url)
    workdir = Path(tempfile.mkdtemp(prefix="till-pgbench-"))
    script = workdir / "pair.sql"
    script.write_text(
        PGBENCH_SCRIPT.format(cards=CARDS, prefix=key.split("_")[2], digest=digest_api_key(key)),
        encoding="utf-8",
    )
    command = [
        shutil.which("pgbench") or "pgbench",
        "-n",
        "-M",
        "prepared",
        "-f",
        str(script),
        "-c",
        str(clients),
        "-j",
        str(min(clients, 2)),
        "-t",
        str(pairs_per_client),
        "-l",
        "-h",
        pg.host or "127.0.0.1",
        "-p",
        str(pg.port or 5432),
        "-U",
        pg.username or "postgres",
        pg.database or "postgres",
    ]
    env = {**os.environ, **({"PGPASSWORD": pg.password} if pg.password else {})}
    result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench failed: {result.stderr[-2000:]}")
    tps = float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    latencies = []
    for log in workdir.glob("pgbench_log.*"):
        for line in log.read_text().splitlines():
            latencies.append(int(line.split()[2]) / 1000)
    shutil.rmtree(workdir)
    pairs = clients * pairs_per_client
    return Level(
        clients=clients, pairs=pairs, seconds=pairs / tps, pair_latencies_ms=latencies, call_latencies_ms=[]
    )


def _pgbench_when_connections_free(
    url: str, key: str, ids: dict[int, int], clients: int, pairs_per_client: int
) -> Level | None:
    """pgbench, retried for up to two minutes while the shared server has no connection slots left."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return pgbench(url, key, ids, clients, pairs_per_client)
        except RuntimeError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                if "too many clients" in str(exc):
                    return None
                raise
            time.sleep(5)


def run_dialect(
    url: str, label: str, workers: int, pairs: dict[int, int], with_pgbench: bool, subscriber: bool = False
) -> list[str]:
    key, cards, ids = prepare(url)
    database_cpu = PostgresCpu(url) if with_pgbench else None
    levels: dict[int, tuple[Level, float, str]] = {}
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(url, Path(data_dir), workers, subscriber=subscriber)
        try:
            for clients in LEVELS:
                print(f"{label}: API, {clients} clients …", file=sys.stderr, flush=True)
                cpu_before = server.cpu_seconds()
                database_before = database_cpu.seconds() if database_cpu else None
                level = asyncio.run(drive(server.port, key, cards, clients, pairs[clients]))
                # The 5 warm-up pairs per client of drive() are in the CPU figures and in the divisor.
                calls = 2 * (level.pairs + 5 * clients)
                cpu_per_call = (server.cpu_seconds() - cpu_before) * 1000 / calls
                database = database_cpu.seconds() if database_cpu else None
                levels[clients] = (level, cpu_per_call, _per_call_ms(database_before, database, calls))
        finally:
            # Stopped before pgbench runs: its pools' connections would count against max_connections.
            server.stop()
    rows = []
    for clients, (level, cpu_per_call, database_per_call) in levels.items():
        ceiling = ratio = ""
        if database_cpu is not None:
            print(f"{label}: pgbench, {clients} clients …", file=sys.stderr, flush=True)
            database_before = database_cpu.seconds()
            raw = _pgbench_when_connections_free(url, key, ids, clients, pairs[clients] * 4)
            if raw is None:
                ceiling = "not measured: PostgreSQL's max_connections taken by other work"
            else:
                raw_database = _per_call_ms(database_before, database_cpu.seconds(), 2 * raw.pairs)
                ceiling = (
                    f"{raw.pairs_per_second:,.0f} pairs/s · p50 {raw.p(0.5, calls=False):.1f} ms · "
                    f"p99 {raw.p(0.99, calls=False):.1f} ms · PostgreSQL CPU {raw_database} ms/call"
                )
                ratio = f"{level.pairs_per_second / raw.pairs_per_second:.2f}"
        failed = f" ({len(level.failures)} failed: {level.failures[0]})" if level.failures else ""
        failed += f" ({level.resent} calls resent)" if level.resent else ""
        rows.append(
            f"| {label} | {clients} | {level.pairs}{failed} | {level.pairs_per_second:,.0f} | "
            f"{2 * level.pairs_per_second:,.0f} | {level.p(0.5):.1f} / {level.p(0.99):.1f} | "
            f"{level.p(0.5, calls=False):.1f} / {level.p(0.99, calls=False):.1f} | "
            f"{cpu_per_call:.2f} | {database_per_call if database_cpu else '—'} | {ceiling} | {ratio} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def _pg_database(admin_url: str) -> tuple[str, callable]:  # type: ignore[valid-type]
    name = f"lottocrm_till_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--pairs", type=int, default=400, help="pairs per level at 8 clients (scaled for others)"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--append", action="store_true", help="append the result to bench/RESULTS.md")
    parser.add_argument(
        "--subscriber",
        action="store_true",
        help="install a subscriber of loyalty.points_redeemed: captures take the Python path and queue a job",
    )
    args = parser.parse_args()
    # Bounded work per level: roughly the same number of pairs at 8 and 32 clients, fewer alone.
    pairs = {1: max(args.pairs // 4, 20), 8: max(args.pairs // 8, 5), 32: max(args.pairs // 32, 2)}

    load_before = os.getloadavg()
    rows = []
    if not args.skip_postgres:
        url, drop = _pg_database(args.pg_admin_url)
        try:
            label = "PostgreSQL, redemption subscriber" if args.subscriber else "PostgreSQL"
            rows += run_dialect(
                url, label, args.workers, pairs, with_pgbench=True, subscriber=args.subscriber
            )
        finally:
            drop()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            rows += run_dialect(
                f"sqlite:///{folder}/bench.sqlite3",
                "SQLite",
                args.workers,
                pairs,
                with_pgbench=False,
                subscriber=args.subscriber,
            )
    load_after = os.getloadavg()

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    block = "\n".join(
        [
            "",
            f"## Till API: authorize + capture — {dt.date.today().isoformat()}",
            "",
            f"Command: `.venv/bin/python bench/till_bench.py --pairs {args.pairs} --workers {args.workers}"
            f"{' --subscriber' if args.subscriber else ''}` "
            f"(commit {commit}). Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; server `lottocrm serve` (uvicorn, {args.workers} worker) and the "
            f"asyncio load generator on the same cores, loopback. Load average before/after: "
            f"{load_before[0]:.1f} / {load_after[0]:.1f} (other engineers' work was running when above ~1). "
            "PostgreSQL CPU counts every PostgreSQL process over the level (backends, WAL writer, "
            "checkpointer, autovacuum), from /proc.",
            "",
            "| store | clients | pairs | pairs/s | API calls/s | call p50 / p99 ms | pair p50 / p99 ms | "
            "server CPU ms/call | PostgreSQL CPU ms/call | pgbench same SQL (raw ceiling) | API ÷ pgbench |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    print(block)
    if args.append:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as results:
            results.write(block)


if __name__ == "__main__":
    main()
