"""Job queue throughput per dialect: bulk enqueue rate, and how fast workers drain a backlog of no-op jobs.

The raw baseline, measured in the same run on the same engine, is the floor of the work a job needs: two
single-row UPDATE transactions per job (one to claim it, one to finish it), run one after another.

    .venv/bin/python bench/jobs_bench.py --jobs 5000 \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import threading
import time

from scratch_db import on_each_dialect
from sqlalchemy import Engine, text

from lottocrm.db.engine import transaction
from lottocrm.jobs import service
from lottocrm.jobs.registry import HandlerRegistry
from lottocrm.jobs.worker import Worker


def _raw_floor(engine: Engine, jobs: int) -> float:
    with transaction(engine) as session:
        job_id = service.enqueue(session, kind="bench.raw")
    bump = text("UPDATE jobs SET attempts = :n WHERE id = :id")
    started = time.perf_counter()
    for attempt in range(2 * jobs):
        with engine.begin() as connection:
            connection.execute(bump, {"n": attempt, "id": job_id})
    return time.perf_counter() - started


def measure(engine: Engine, label: str, jobs: int, workers: int, concurrency: int) -> None:
    raw_seconds = _raw_floor(engine, jobs)
    started = time.perf_counter()
    with transaction(engine) as session:
        service.enqueue_many(session, kind="bench.noop", payloads=[{"n": number} for number in range(jobs)])
    enqueue_seconds = time.perf_counter() - started

    handlers = HandlerRegistry()
    handlers.register("bench.noop")(lambda context: None)
    pool = [
        Worker(engine, handlers, concurrency=concurrency, lease=dt.timedelta(seconds=60))
        for _ in range(workers)
    ]
    threads = [threading.Thread(target=worker.run, kwargs={"once": True}) for worker in pool]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    drain_seconds = time.perf_counter() - started
    done = sum(worker.stats.done for worker in pool)
    assert done == jobs, f"{done} of {jobs} done"
    rates = f"{jobs / enqueue_seconds:,.0f}/s | {jobs / drain_seconds:,.0f}/s | {jobs / raw_seconds:,.0f}/s"
    print(f"| {label} | {jobs:,} | {workers}×{concurrency} | {rates} | {drain_seconds / raw_seconds:.2f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    print("| dialect | jobs | workers × threads | enqueue_many | drain | raw floor | drain ÷ floor |")
    print("|---|---|---|---|---|---|---|")
    on_each_dialect(
        args.postgres, lambda engine, label: measure(engine, label, args.jobs, args.workers, args.concurrency)
    )


if __name__ == "__main__":
    main()
