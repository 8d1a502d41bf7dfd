"""Import benchmark: validated ticket rows per second from Parquet and CSV, against DuckDB's raw read.

Generates N synthetic tickets with numpy (against games, draws, points of sale and players it creates),
writes them once as Parquet and once as CSV, then times, each in a fresh child process so peak memory is the
phase's own: DuckDB reading the file into a table (the raw engine), and ``import_file`` validating and
loading it into an empty lake. Prints a Markdown block to append to bench/RESULTS.md.

    .venv/bin/python bench/import_bench.py --rows 5000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

PLAYERS = 200_000
DRAWS = 2_000
POINTS_OF_SALE = 500


def _settings(workdir: Path, lake: str, batch_rows: int):  # type: ignore[no-untyped-def]
    from lottocrm.settings import build_settings

    return build_settings(
        data_dir=workdir / "data",
        database_url=f"sqlite:///{workdir / f'crm-{lake}.sqlite3'}",
        lake_dir=workdir / lake,
        import_batch_rows=batch_rows,
    )


def prepare(workdir: Path, rows: int) -> None:
    """The catalogue in SQLite, then the same tickets as Parquet and as CSV."""
    from sqlalchemy import insert

    from lottocrm.catalog.models import Draw, Game, PointOfSale
    from lottocrm.db import migrate
    from lottocrm.db.engine import make_engine
    from lottocrm.players.models import Player

    now = dt.datetime.now(dt.UTC)
    engine = make_engine(f"sqlite:///{workdir / 'crm.sqlite3'}")
    migrate.upgrade(engine)
    with engine.begin() as con:
        con.execute(
            insert(Game),
            [
                {"id": 1, "code": "6x45", "name": "6 из 45", "kind": "draw", "ticket_price_kopecks": 10_000},
                {
                    "id": 2,
                    "code": "scratch",
                    "name": "Стирайка",
                    "kind": "instant",
                    "ticket_price_kopecks": 5_000,
                },
            ],
        )
        con.execute(
            insert(Draw),
            [
                {"id": i, "game_id": 1, "number": i, "draw_at": now - dt.timedelta(hours=i)}
                for i in range(1, DRAWS + 1)
            ],
        )
        con.execute(
            insert(PointOfSale),
            [
                {"id": i, "code": f"P{i}", "name": f"Киоск {i}", "channel": "retail_kiosk", "created_at": now}
                for i in range(1, POINTS_OF_SALE + 1)
            ],
        )
        con.execute(
            insert(Player),
            [
                {
                    "id": i,
                    "last_name": "Иванов",
                    "first_name": "Иван",
                    "search_name": "иванов иван",
                    "registered_at": now,
                    "registration_channel": "website",
                    "created_at": now,
                }
                for i in range(1, PLAYERS + 1)
            ],
        )
    engine.dispose()

    rng = np.random.default_rng(42)
    chunk = 1_000_000
    start = int((now - dt.timedelta(days=365)).timestamp() * 1_000_000)
    schema = pa.schema(
        [
            ("ticket_id", pa.int64()),
            ("player_id", pa.int64()),
            ("game_id", pa.int32()),
            ("draw_id", pa.int64()),
            ("channel", pa.string()),
            ("pos_id", pa.int64()),
            ("region", pa.string()),
            ("price_kopecks", pa.int64()),
            ("sold_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    with (
        pq.ParquetWriter(workdir / "tickets.parquet", schema, compression="zstd") as parquet,
        pacsv.CSVWriter(workdir / "tickets.csv", schema) as csv,
    ):
        for first in range(0, rows, chunk):
            n = min(chunk, rows - first)
            game = rng.choice(np.array([1, 2], dtype=np.int32), n, p=[0.8, 0.2])
            players = rng.integers(1, PLAYERS + 1, n)
            pos = rng.integers(1, POINTS_OF_SALE + 1, n)
            seconds = rng.integers(0, 364 * 86_400, n) * 1_000_000
            table = pa.table(
                {
                    "ticket_id": np.arange(first + 1, first + n + 1, dtype=np.int64),
                    "player_id": pa.array(players, mask=rng.random(n) < 0.3),
                    "game_id": game,
                    "draw_id": pa.array(rng.integers(1, DRAWS + 1, n), mask=game == 2),
                    "channel": pa.array(rng.choice(["retail_kiosk", "website", "app", "post_office"], n)),
                    "pos_id": pa.array(pos, mask=rng.random(n) < 0.5),
                    "region": pa.array(rng.choice(["RU-MOW", "RU-SPE", "RU-TA", "RU-NVS"], n)),
                    "price_kopecks": rng.choice([5_000, 10_000, 20_000, 30_000], n),
                    "sold_at": pa.array(start + seconds, pa.timestamp("us", tz="UTC")),
                },
                schema=schema,
            )
            parquet.write_table(table)
            csv.write_table(table)


def phase(workdir: Path, name: str, batch_rows: int) -> dict[str, object]:
    """One timed step, run in its own process; returns seconds, rows and this process's peak RSS.

    Library imports happen before the clock starts: they are start-up cost, not import throughput.
    """
    # pyarrow imports pandas lazily on its first Python-to-Arrow conversion; with PYTHONDONTWRITEBYTECODE
    # (as on the bench machine) that alone takes a second or more, so it is paid before the clock starts.
    import pandas  # noqa: F401

    from lottocrm.audit.service import Actor
    from lottocrm.db.engine import make_engine
    from lottocrm.ingest.service import import_file
    from lottocrm.lake.store import Lake

    fmt = name.rsplit("-", 1)[1]
    source = workdir / f"tickets.{fmt}"
    if name.startswith("duckdb-"):
        con = duckdb.connect()
        started = time.perf_counter()
        reader = "read_parquet" if fmt == "parquet" else "read_csv"
        con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}('{source}')")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    else:
        settings = _settings(workdir, f"lake-{fmt}-{batch_rows}", batch_rows)
        engine = make_engine(settings.db_url)
        started = time.perf_counter()
        report = import_file(
            actor=Actor("bench:import"),
            kind="tickets",
            path=source,
            engine=engine,
            lake=Lake(settings.lake_path),
            settings=settings,
        )
        if report.status != "loaded":
            raise SystemExit(report.describe())
        rows = report.rows_loaded
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"phase": name, "batch_rows": batch_rows, "rows": rows, "seconds": seconds, "peak_rss_mb": peak_mb}


def _run_child(workdir: Path, name: str, batch_rows: int) -> dict[str, object]:
    fmt = name.rsplit("-", 1)[1]
    # Each import gets its own copy of the catalogue, so one run's ledger row does not make the next a no-op.
    shutil.copy(workdir / "crm.sqlite3", workdir / f"crm-lake-{fmt}-{batch_rows}.sqlite3")
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            name,
            "--workdir",
            str(workdir),
            "--batch-rows",
            str(batch_rows),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    versions = f"Python {platform.python_version()}, pyarrow {pa.__version__}, duckdb {duckdb.__version__}"
    return f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GB RAM, {versions}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--batch-rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--phase")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.workdir, args.phase, args.batch_rows[0])))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lottocrm-import-bench-"))
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    prepare(workdir, args.rows)
    print(
        f"generated {args.rows:,} tickets in {time.perf_counter() - t0:.1f} s under {workdir}",
        file=sys.stderr,
    )
    sizes = {fmt: (workdir / f"tickets.{fmt}").stat().st_size / 2**20 for fmt in ("parquet", "csv")}
    results = []
    for fmt in ("parquet", "csv"):
        raw = _run_child(workdir, f"duckdb-{fmt}", args.batch_rows[0])
        results.append(raw)
        for batch_rows in args.batch_rows:
            ours = _run_child(workdir, f"import-{fmt}", batch_rows)
            ours["ratio"] = ours["seconds"] / raw["seconds"]
            results.append(ours)
            print(json.dumps(ours), file=sys.stderr)
    load_after = os.getloadavg()
    lines = [
        f"## Import: validated tickets from Parquet and CSV — {dt.date.today().isoformat()}",
        "",
        f"Command: `.venv/bin/python bench/import_bench.py --rows {args.rows} --batch-rows "
        + " ".join(map(str, args.batch_rows))
        + "`",
        f"Machine: {_machine()}. Load average before/after: {load_before[0]:.1f} / {load_after[0]:.1f}.",
        f"Files: Parquet {sizes['parquet']:.0f} MB (zstd), CSV {sizes['csv']:.0f} MB. "
        f"Catalogue: {PLAYERS:,} players, {DRAWS:,} draws, {POINTS_OF_SALE} points of sale (SQLite).",
        "",
        "| phase | batch rows | rows | seconds | rows/s | × DuckDB raw read | peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = f"{r['ratio']:.1f}×" if "ratio" in r else "—"
        batch = f"{r['batch_rows']:,}" if str(r["phase"]).startswith("import") else "—"
        speed = f"{r['rows'] / r['seconds']:,.0f}"
        peak = f"{r['peak_rss_mb']:,.0f}"
        lines.append(
            f"| {r['phase']} | {batch} | {r['rows']:,} | {r['seconds']:.2f} | {speed} | {ratio} | {peak} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
