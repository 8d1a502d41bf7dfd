"""Latency of the contact-centre hot paths: player search and the player 360, per dialect.

Builds a scratch store of N players (three identities each: phone, e-mail, card) with numpy and bulk loads
(executemany on SQLite, COPY on PostgreSQL), and a lake of M tickets, then times:

- search as the web handler runs it (interpret → indexed lookups → hits with identities), by query kind,
  against the raw engine doing the bare lookup of the same row (``SELECT … WHERE kind = ? AND value = ?``
  for identities, the index range for names) in the same run;
- the 360 (profile, identities, consents, responsible gaming, tickets and wins from the lake via DuckDB),
  against a raw DuckDB ``count(*) … WHERE player_id = ?`` over the same files.

    .venv/bin/python bench/web_bench.py --players 1000000 --tickets 10000000 \\
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

import duckdb
import numpy as np
import psutil
import pyarrow as pa
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from lottocrm import domains
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake import store, writer
from lottocrm.lake.store import Lake
from lottocrm.players.activity import player_activity
from lottocrm.players.profile import player_360, search_hits
from lottocrm.players.search import search_players
from lottocrm.players.timeline import timeline_page

LAST = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
    "Ильин",
    "Максимов",
    "Поляков",
    "Сорокин",
    "Виноградов",
    "Ковалёв",
    "Белов",
    "Медведев",
    "Антонов",
    "Тарасов",
]
FIRST = [
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
    "Никита",
    "Матвей",
    "Роман",
    "Егор",
    "Арсений",
    "Иван",
    "Денис",
    "Евгений",
    "Даниил",
    "Тимофей",
]
MIDDLE = [
    "Александрович",
    "Дмитриевич",
    "Сергеевич",
    "Андреевич",
    "Алексеевич",
    "Иванович",
    "Михайлович",
    "Николаевич",
    "Петрович",
    "Владимирович",
]
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
PLAYER_COLUMNS = (
    "id",
    "last_name",
    "first_name",
    "middle_name",
    "search_name",
    "birth_date",
    "gender",
    "region",
    "registered_at",
    "registration_channel",
    "age_verified",
    "under_age",
    "status",
    "created_at",
)


def phone(pid: int) -> str:
    return f"+79{pid:09d}"


def card(pid: int) -> str:
    return f"9643{pid:012d}"


def player_rows(n: int, rng: np.random.Generator) -> list[tuple]:
    last, first, middle = (
        rng.integers(0, len(LAST), n),
        rng.integers(0, len(FIRST), n),
        rng.integers(0, len(MIDDLE), n),
    )
    days = rng.integers(0, 700, n)
    rows = []
    for i in range(n):
        pid = i + 1
        ln, fn, mn = LAST[last[i]], FIRST[first[i]], MIDDLE[middle[i]]
        reg = START + dt.timedelta(days=int(days[i]))
        rows.append(
            (
                pid,
                ln,
                fn,
                mn,
                f"{ln} {fn} {mn}".lower().replace("ё", "е"),
                dt.date(1960 + pid % 40, 1 + pid % 12, 1),
                "M",
                "RU-MOW",
                reg,
                "website",
                True,
                False,
                "active",
                reg,
            )
        )
    return rows


def identity_rows(n: int) -> list[tuple]:
    now = START
    rows = []
    for pid in range(1, n + 1):
        rows += [
            (pid, "phone", phone(pid), True, now),
            (pid, "email", f"p{pid}@mail.ru", True, now),
            (pid, "card", card(pid), False, now),
        ]
    return rows


def load_store(engine: Engine, n: int, rng: np.random.Generator) -> float:
    started = time.perf_counter()
    migrate.upgrade(engine)
    players, identities = player_rows(n, rng), identity_rows(n)
    ident_cols = ("player_id", "kind", "value", "verified", "created_at")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY players ({', '.join(PLAYER_COLUMNS)}) FROM STDIN") as copy:
                for row in players:
                    copy.write_row(row)
            with cursor.copy(f"COPY player_identities ({', '.join(ident_cols)}) FROM STDIN") as copy:
                for row in identities:
                    copy.write_row(row)
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        else:
            cursor.execute("BEGIN")
            marks = ", ".join("?" * len(PLAYER_COLUMNS))
            as_text = [
                tuple(v.isoformat(" ") if isinstance(v, dt.datetime) else v for v in r) for r in players
            ]
            cursor.executemany(f"INSERT INTO players ({', '.join(PLAYER_COLUMNS)}) VALUES ({marks})", as_text)
            cursor.executemany(
                "INSERT INTO player_identities (player_id, kind, value, verified, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(r[0], r[1], r[2], r[3], r[4].isoformat(" ")) for r in identities],
            )
            cursor.execute("COMMIT")
            cursor.execute("ANALYZE")
    finally:
        raw.close()
    return time.perf_counter() - started


def build_lake(root: Path, n_players: int, n_tickets: int, rng: np.random.Generator, layout: str) -> float:
    """Tickets spread over 24 months. ``layout=time`` is what appends produce (rows in time order);
    ``layout=player`` sorts each month's file by player_id so Parquet min/max statistics let DuckDB skip row
    groups when filtering one player."""
    started = time.perf_counter()
    lake = Lake(root)
    per_month = n_tickets // 24
    next_id = 1
    for month in range(24):
        first = dt.datetime(2024 + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)
        offsets = np.sort(rng.integers(0, 27 * 86400, per_month)).astype("int64") * 1_000_000
        sold_at = pa.array(offsets + int(first.timestamp() * 1_000_000), type=pa.timestamp("us", tz="UTC"))
        players = rng.integers(1, n_players + 1, per_month)
        table = pa.table(
            {
                "ticket_id": pa.array(np.arange(next_id, next_id + per_month)),
                "player_id": pa.array(players),
                "game_id": pa.array(rng.integers(1, 8, per_month).astype("int32")),
                "draw_id": pa.nulls(per_month, pa.int64()),
                "channel": pa.array(["website"] * per_month),
                "pos_id": pa.nulls(per_month, pa.int64()),
                "region": pa.array(["RU-MOW"] * per_month),
                "price_kopecks": pa.array(rng.choice([5000, 10000, 20000], per_month)),
                "sold_at": sold_at,
            }
        )
        if layout == "player":
            table = table.sort_by("player_id")
        lake.append("tickets", table, batch_id=f"bench-{month:02d}")
        next_id += per_month
    return time.perf_counter() - started


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm caches and connections
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def bench_dialect(engine: Engine, lake: Lake, n: int, repeats: int) -> list[tuple]:
    # Its own seed: every dialect, and a rerun on a kept --work folder, looks up the same players.
    ids = [int(x) for x in np.random.default_rng(11).integers(1, n + 1, repeats * 4)]
    kinds: dict[str, Callable[[int], str]] = {
        "phone 8 9xx … (spaces)": lambda p: (
            "8 9" + f"{p:09d}"[:2] + " " + f"{p:09d}"[2:5] + " " + f"{p:09d}"[5:]
        ),
        "phone +7 (9xx) …": lambda p: (
            "+7 (9" + f"{p:09d}"[:2] + ") " + f"{p:09d}"[2:5] + "-" + f"{p:09d}"[5:7] + "-" + f"{p:09d}"[7:]
        ),
        "e-mail": lambda p: f"P{p}@Mail.ru",
        "card": card,
        "player id": str,
        "name (surname + first name)": lambda p: None,  # filled below from the row
    }
    with transaction(engine) as session:
        names = dict(
            session.execute(
                text(
                    "SELECT id, search_name FROM players WHERE id IN ("
                    + ",".join(map(str, ids[:repeats]))
                    + ")"
                )
            ).all()
        )
    results = []
    counter = iter(range(10**9))
    for kind, make in kinds.items():

        def one(kind: str = kind, make: Callable[[int], str | None] = make) -> None:
            pid = ids[next(counter) % repeats]
            query = make(pid) if kind != "name (surname + first name)" else " ".join(names[pid].split()[:2])
            with transaction(engine) as session:
                _criteria, found = search_players(session, query=query)
                search_hits(session, player_ids=found, masked=False)

        results.append((f"search: {kind}", *summary(timed(one, repeats))))

    def raw_identity() -> None:
        pid = ids[next(counter) % repeats]
        with engine.connect() as connection:
            connection.execute(
                text("SELECT player_id FROM player_identities WHERE kind = 'phone' AND value = :v"),
                {"v": phone(pid)},
            ).all()

    results.append(("raw engine: identity lookup by (kind, value)", *summary(timed(raw_identity, repeats))))

    # Every installed panel provider, as the app resolves them: the 360 the API serves.
    panels = domains.panel_providers()

    def view() -> None:
        pid = ids[next(counter) % repeats]
        with transaction(engine) as session:
            player_360(session, player_id=pid, masked=False, lake=lake, panels=panels)

    results.append(("player 360 (store + lake)", *summary(timed(view, max(repeats // 2, 20)))))

    # The two halves of the 360 apart, to show which one a change has to attack.
    def store_part() -> None:
        pid = ids[next(counter) % repeats]
        with transaction(engine) as session:
            player_360(session, player_id=pid, masked=False, lake=None, panels=panels)

    results.append(("player 360: store part only", *summary(timed(store_part, max(repeats // 2, 20)))))

    sources = domains.timeline_sources()

    def history() -> None:
        pid = ids[next(counter) % repeats]
        with transaction(engine) as session:
            timeline_page(session, player_id=pid, sources=sources)

    results.append(("player 360: first timeline page", *summary(timed(history, max(repeats // 2, 20)))))

    def lake_part() -> None:
        player_activity(lake, player_id=ids[next(counter) % repeats], game_names={})

    results.append(("player 360: lake part only", *summary(timed(lake_part, max(repeats // 2, 20)))))

    raw_con = lake.connect(duckdb.connect(config={"threads": 2, "enable_object_cache": True}))

    def raw_lake() -> None:
        pid = ids[next(counter) % repeats]
        raw_con.execute("SELECT count(*) FROM tickets WHERE player_id = ?", [pid]).fetchall()

    results.append(
        (
            "raw DuckDB, open connection: count(*) of one player's tickets",
            *summary(timed(raw_lake, max(repeats // 2, 20))),
        )
    )
    raw_con.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--layout", choices=["time", "player"], default="time")
    parser.add_argument(
        "--compact",
        action="store_true",
        help="run Lake.compact on the tickets after writing them, as production maintenance does",
    )
    parser.add_argument(
        "--work",
        type=Path,
        help="keep the lake, the SQLite file and the PostgreSQL database here and reuse them on the next run "
        "with the same folder (a before/after pair then measures the same data)",
    )
    parser.add_argument(
        "--row-group",
        type=int,
        default=None,
        help="Parquet row-group size for this run's lake (default: the lake's own setting)",
    )
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--postgres", help="admin URL; a scratch database is created and dropped")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    if args.row_group:
        # A what-if for the lake's owners: smaller row groups let min/max statistics skip more when each
        # month's file is sorted by player. Production files keep lake.store's setting.
        writer.PARQUET_ROW_GROUP_ROWS = args.row_group
    work = args.work or Path(tempfile.mkdtemp(prefix="web-bench-"))
    load_avg = os.getloadavg()
    try:
        lake = Lake(work / "lake")
        lake_seconds = compact_seconds = 0.0
        if not lake.files("tickets"):
            print(f"building lake: {args.tickets:,} tickets, layout={args.layout}", flush=True)
            lake_seconds = build_lake(work / "lake", args.players, args.tickets, rng, args.layout)
            if args.compact:
                print("compacting", flush=True)
                started = time.perf_counter()
                lake.compact("tickets")
                lake.vacuum("tickets")
                compact_seconds = time.perf_counter() - started
        rows: list[tuple[str, str, float, float]] = []
        loads: dict[str, float] = {}
        if not args.no_sqlite:
            sqlite_path = work / "crm.sqlite3"
            fresh = not sqlite_path.exists()
            engine = make_engine(f"sqlite:///{sqlite_path}")
            if fresh:
                print(f"loading SQLite: {args.players:,} players", flush=True)
                loads["SQLite"] = load_store(engine, args.players, rng)
            rows += [("SQLite", *r) for r in bench_dialect(engine, lake, args.players, args.repeats)]
            engine.dispose()
        if args.postgres:
            # A kept work folder remembers its database by name, so the next run finds it loaded.
            name_file = work / "postgres-database"
            fresh = not name_file.exists()
            name = name_file.read_text().strip() if not fresh else f"web_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            if fresh:
                with admin.connect() as c:
                    c.execute(text(f'CREATE DATABASE "{name}"'))
                if args.work:
                    name_file.write_text(name)
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            engine = make_engine(url)
            try:
                if fresh:
                    print(f"loading PostgreSQL: {args.players:,} players", flush=True)
                    loads["PostgreSQL"] = load_store(engine, args.players, rng)
                rows += [("PostgreSQL", *r) for r in bench_dialect(engine, lake, args.players, args.repeats)]
            finally:
                engine.dispose()
                if not args.work:
                    with admin.connect() as c:
                        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"\n## Web: player search and 360 latency — {dt.date.today().isoformat()}\n",
        f"Command: `.venv/bin/python bench/web_bench.py --players {args.players} --tickets {args.tickets} "
        f"--layout {args.layout}{' --compact' if args.compact else ''} --repeats {args.repeats}"
        f"{f' --row-group {args.row_group}' if args.row_group else ''}"
        f"{' --no-sqlite' if args.no_sqlite else ''}{' --postgres …' if args.postgres else ''}` "
        f"(commit {commit}).",
        f"Machine: {platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GB RAM, Python {platform.python_version()}. "
        f"Load average before/after: {load_avg[0]:.1f} / {load_after[0]:.1f} — the 2 cores were shared "
        "with other engineers' tests, so these are upper bounds.",
        f"Scale: {args.players:,} players × 3 identities; {args.tickets:,} tickets in 24 monthly files "
        + (
            f"(layout `{args.layout}`, then `Lake.compact`: sorted by player and time, row groups of "
            f"{store.COMPACT_ROW_GROUP_ROWS:,} rows). "
            if args.compact
            else f"(layout `{args.layout}`, row groups of {writer.PARQUET_ROW_GROUP_ROWS:,} rows). "
        )
        + (
            f"Lake written in {lake_seconds:.1f} s, compacted in {compact_seconds:.1f} s. "
            if lake_seconds
            else "Lake reused from the `--work` folder. "
        )
        + (
            "Store loaded in " + ", ".join(f"{k} {v:.1f} s" for k, v in loads.items()) + "."
            if loads
            else "Store reused from the `--work` folder."
        ),
        "Each search runs in its own transaction through the same functions the web handler calls "
        "(no HTTP, no template); the 360 includes the DuckDB lake queries.\n",
        "| dialect | case | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    lines += [f"| {d} | {case} | {p50:.2f} | {p95:.2f} |" for d, case, p50, p95 in rows]
    text_out = "\n".join(lines) + "\n"
    print(text_out)
    with args.results.open("a", encoding="utf-8") as out:
        out.write(text_out)


if __name__ == "__main__":
    main()
