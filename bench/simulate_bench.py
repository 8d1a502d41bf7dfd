"""Simulator benchmark: tickets per second written to the lake, and peak memory of the whole process tree.

    .venv/bin/python bench/simulate_bench.py [--players 1000000] [--workers N] [--db-url URL]

Runs a full simulation (store rows included) into a temporary data folder, sampling the resident memory of
this process and its worker processes every 0.2 s. The engine floor, measured in the same run, is pyarrow
writing the same tickets to one zstd Parquet file (no generation, no partitioning); the ratio shows what the
simulator costs over the bare write.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq

from lottocrm.db import migrate
from lottocrm.db.engine import make_engine
from lottocrm.lake.store import Lake
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import default_workers, simulate


class PeakMemory:
    """Largest summed RSS of this process and its children, sampled in a background thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def raw_parquet_rate(lake: Lake, scratch: Path) -> tuple[float, int]:
    """Rows per second for pyarrow writing one chunk's tickets to a single file: the floor we build on."""
    first_batch = lake.live_records("tickets")[0]
    table = pq.ParquetDataset([lake.root / "tickets" / name for name in first_batch.files]).read()
    started = time.perf_counter()
    pq.write_table(table, scratch / "raw.parquet", compression="zstd")
    return table.num_rows / (time.perf_counter() - started), table.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--db-url", default=None, help="default: SQLite in the temporary folder")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="simbench-") as folder:
        root = Path(folder)
        engine = make_engine(args.db_url or f"sqlite:///{root / 'crm.sqlite3'}")
        migrate.upgrade(engine)
        lake = Lake(root / "lake")
        config = SimulationConfig(players=args.players, seed=args.seed, end=dt.date(2026, 1, 1))
        workers = args.workers or default_workers()
        with PeakMemory() as memory:
            started = time.perf_counter()
            result = simulate(
                config, engine=engine, lake=lake, truth_dir=root / "ground-truth", workers=workers
            )
            elapsed = time.perf_counter() - started
        raw_rate, raw_rows = raw_parquet_rate(lake, root)
        lake_bytes = sum(path.stat().st_size for path in lake.files("tickets"))
    load_after = os.getloadavg()

    totals = result.totals
    rate = totals.tickets / elapsed
    print(
        f"machine: {platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GB RAM, Python {platform.python_version()}"
    )
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    print(
        f"players {totals.players:,}, tickets {totals.tickets:,}, wins {totals.wins:,}, "
        f"sessions {totals.sessions:,}, store rows "
        f"{totals.players + totals.identities + totals.consent_events + totals.responsible_gaming:,}"
    )
    print(
        f"workers {workers}; wall {elapsed:.1f} s; {rate:,.0f} tickets/s (everything included: catalogue, "
        f"store, wins, sessions, ground truth); tickets Parquet {lake_bytes / 1e6:,.0f} MB"
    )
    print(f"peak RSS (parent + workers) {memory.peak / 2**30:.2f} GB")
    print(
        f"raw pyarrow zstd write of one chunk ({raw_rows:,} tickets): {raw_rate:,.0f} rows/s; "
        f"simulator / raw = {rate / raw_rate:.2f}"
    )


if __name__ == "__main__":
    main()
