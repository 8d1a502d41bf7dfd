"""Real `lottocrm worker` processes: shared work done once, a graceful SIGTERM, and a kill -9 mid-job."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from helpers.worker_processes import LEASE_SECONDS, lines, wait_for, wait_until_ready
from lottocrm.db.engine import transaction
from lottocrm.jobs import service
from lottocrm.jobs.models import Job
from lottocrm.jobs.registry import HandlerRegistry, JobContext
from lottocrm.jobs.worker import Worker


def _jobs(engine: Engine) -> list[Job]:
    with transaction(engine) as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


@pytest.mark.slow
def test_two_worker_processes_share_the_work_and_run_each_job_once_then_stop_on_sigterm(
    engine: Engine, start_worker, effects: Path
) -> None:  # type: ignore[no-untyped-def]
    workers = [start_worker("--concurrency", "4", wait=False) for _ in range(2)]
    for process in workers:
        wait_until_ready(process)
    with transaction(engine) as session:
        job_ids = [
            service.enqueue(session, kind="test.record", payload={"seconds": 0.01}) for _ in range(300)
        ]

    wait_for(lambda: len(lines(effects)) >= 300, 60, "300 jobs to run")
    wait_for(lambda: all(job.status == "done" for job in _jobs(engine)), 10, "every job to be marked done")
    for process in workers:
        process.send_signal(signal.SIGTERM)
    for process in workers:
        assert process.wait(timeout=15) == 0

    ran = [int(line.split()[1]) for line in lines(effects)]
    assert Counter(ran) == Counter(job_ids), "every job ran exactly once"
    pids = {line.split()[-1] for line in lines(effects)}
    assert len(pids) >= 2, "the processes shared the work"


@pytest.mark.slow
def test_sigterm_lets_the_job_in_hand_finish(engine: Engine, start_worker, effects: Path) -> None:  # type: ignore[no-untyped-def]
    process = start_worker()
    with transaction(engine) as session:
        job_id = service.enqueue(session, kind="test.record", payload={"seconds": 1.5})
    wait_for(lambda: _jobs(engine)[0].status == "running", 15, "the worker to take the job")

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=15) == 0
    assert lines(effects) == [f"done {job_id} by {process.pid}"]
    assert _jobs(engine)[0].status == "done"


@pytest.mark.slow
def test_a_job_whose_worker_is_killed_mid_job_is_finished_by_another_after_the_lease(
    engine: Engine, start_worker, effects: Path
) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        job_id = service.enqueue(session, kind="test.stall_first_attempt")
    victim = start_worker()
    wait_for(lambda: any(line.startswith("started") for line in lines(effects)), 15, "the job to start")

    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait(timeout=10) == -signal.SIGKILL
    killed_at = time.monotonic()
    (job,) = _jobs(engine)
    assert (job.status, job.attempts) == ("running", 1), "the killed worker never finished it"

    def stall_first_attempt(context: JobContext) -> None:
        with effects.open("a", encoding="utf-8") as out:
            out.write(f"started {context.job.id} attempt {context.job.attempt} by {os.getpid()}\n")
            out.write(f"finished {context.job.id}\n")

    handlers = HandlerRegistry()
    handlers.register("test.stall_first_attempt")(stall_first_attempt)
    rescuer = Worker(
        engine, handlers, lease=dt.timedelta(seconds=LEASE_SECONDS), poll_interval=0.05, name="rescuer"
    )
    wait_for(lambda: rescuer.run(once=True).done == 1, 15, "another worker to take the job over")

    assert time.monotonic() - killed_at < LEASE_SECONDS + 5
    (job,) = _jobs(engine)
    assert (job.status, job.attempts, job.locked_by) == ("done", 2, "rescuer")
    assert lines(effects) == [
        f"started {job_id} attempt 1 by {victim.pid}",
        f"started {job_id} attempt 2 by {os.getpid()}",
        f"finished {job_id}",
    ]
