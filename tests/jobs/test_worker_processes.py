"""Real `lottocrm worker` processes: shared work done once, a graceful SIGTERM, and a kill -9 mid-job."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from lottocrm.db.engine import transaction
from lottocrm.jobs import service
from lottocrm.jobs.models import Job
from lottocrm.jobs.registry import HandlerRegistry, JobContext
from lottocrm.jobs.worker import Worker

WORKER_MAIN = Path(__file__).with_name("worker_main.py")
LEASE_SECONDS = 2


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.05)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.fixture
def effects(tmp_path: Path) -> Path:
    return tmp_path / "effects.log"


@pytest.fixture
def start_worker(
    db_url: str, effects: Path, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `lottocrm worker` processes; whatever a test leaves running is killed at the end."""
    started: list[subprocess.Popen[str]] = []
    env = {
        **os.environ,
        "LOTTOCRM_DATABASE_URL": db_url,
        "LOTTOCRM_DATA_DIR": str(tmp_path / "data"),
        "LOTTOCRM_TEST_EFFECTS": str(effects),
        "PYTHONUNBUFFERED": "1",
    }

    def start(*options: str, wait: bool = True) -> subprocess.Popen[str]:
        command = [sys.executable, str(WORKER_MAIN), "worker", "--lease-seconds", str(LEASE_SECONDS)]
        process = subprocess.Popen(
            [*command, "--poll-seconds", "0.05", *options],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        if wait:
            wait_until_ready(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_until_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert banner.startswith("worker "), f"the worker did not start: {banner}{process.stdout.read()}"


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

    _wait_for(lambda: len(_lines(effects)) >= 300, 60, "300 jobs to run")
    _wait_for(lambda: all(job.status == "done" for job in _jobs(engine)), 10, "every job to be marked done")
    for process in workers:
        process.send_signal(signal.SIGTERM)
    for process in workers:
        assert process.wait(timeout=15) == 0

    ran = [int(line.split()[1]) for line in _lines(effects)]
    assert Counter(ran) == Counter(job_ids), "every job ran exactly once"
    pids = {line.split()[-1] for line in _lines(effects)}
    assert len(pids) >= 2, "the processes shared the work"


@pytest.mark.slow
def test_sigterm_lets_the_job_in_hand_finish(engine: Engine, start_worker, effects: Path) -> None:  # type: ignore[no-untyped-def]
    process = start_worker()
    with transaction(engine) as session:
        job_id = service.enqueue(session, kind="test.record", payload={"seconds": 1.5})
    _wait_for(lambda: _jobs(engine)[0].status == "running", 15, "the worker to take the job")

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=15) == 0
    assert _lines(effects) == [f"done {job_id} by {process.pid}"]
    assert _jobs(engine)[0].status == "done"


@pytest.mark.slow
def test_a_job_whose_worker_is_killed_mid_job_is_finished_by_another_after_the_lease(
    engine: Engine, start_worker, effects: Path
) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        job_id = service.enqueue(session, kind="test.stall_first_attempt")
    victim = start_worker()
    _wait_for(lambda: any(line.startswith("started") for line in _lines(effects)), 15, "the job to start")

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
    _wait_for(lambda: rescuer.run(once=True).done == 1, 15, "another worker to take the job over")

    assert time.monotonic() - killed_at < LEASE_SECONDS + 5
    (job,) = _jobs(engine)
    assert (job.status, job.attempts, job.locked_by) == ("done", 2, "rescuer")
    assert _lines(effects) == [
        f"started {job_id} attempt 1 by {victim.pid}",
        f"started {job_id} attempt 2 by {os.getpid()}",
        f"finished {job_id}",
    ]
