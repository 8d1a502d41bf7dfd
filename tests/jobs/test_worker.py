"""The worker loop in process: handlers run, failures retry then die, many threads run each job once."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

from sqlalchemy import Engine, select

from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.jobs import schedules, service
from lottocrm.jobs.models import Job
from lottocrm.jobs.registry import HandlerRegistry, JobContext
from lottocrm.jobs.service import Backoff
from lottocrm.jobs.worker import Worker

FAST = {"poll_interval": 0.02, "lease": dt.timedelta(seconds=5)}

OPS = Actor("cli:ops")


def _statuses(engine: Engine) -> Counter[str]:
    with transaction(engine) as session:
        return Counter(session.scalars(select(Job.status)))


def test_worker_runs_each_due_job_and_marks_it_done(engine: Engine) -> None:
    seen: list[dict] = []
    handlers = HandlerRegistry()
    handlers.register("test.echo")(lambda context: seen.append(context.job.payload))
    with transaction(engine) as session:
        for number in range(3):
            service.enqueue(session, kind="test.echo", payload={"n": number})

    stats = Worker(engine, handlers, **FAST).run(once=True)

    assert sorted(item["n"] for item in seen) == [0, 1, 2]
    assert stats.done == 3
    assert _statuses(engine) == {"done": 3}


def test_a_failing_handler_is_retried_with_backoff_then_dead_with_the_traceback(engine: Engine) -> None:
    attempts: list[int] = []

    def flaky_gateway(context: JobContext) -> None:
        attempts.append(context.job.attempt)
        raise ConnectionError(f"SMS gateway refused attempt {context.job.attempt}")

    handlers = HandlerRegistry()
    handlers.register("sms.send")(flaky_gateway)
    with transaction(engine) as session:
        job_id = service.enqueue(session, kind="sms.send", max_attempts=3)
    worker = Worker(engine, handlers, backoff=Backoff(base=dt.timedelta(milliseconds=20)), **FAST)

    deadline = time.monotonic() + 10
    while _statuses(engine) != {"dead": 1} and time.monotonic() < deadline:
        worker.run(once=True)
        time.sleep(0.02)

    assert attempts == [1, 2, 3]
    with transaction(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.attempts) == ("dead", 3)
        assert "ConnectionError: SMS gateway refused attempt 3" in (job.last_error or "")
        assert "Traceback" in (job.last_error or "")


def test_many_workers_on_many_threads_run_every_job_exactly_once(engine: Engine) -> None:
    runs: list[int] = []
    lock = threading.Lock()

    def record(context: JobContext) -> None:
        with lock:
            runs.append(context.job.id)

    handlers = HandlerRegistry()
    handlers.register("test.record")(record)
    with transaction(engine) as session:
        job_ids = [service.enqueue(session, kind="test.record") for _ in range(200)]

    workers = [Worker(engine, handlers, concurrency=3, name=f"w{n}", **FAST) for n in range(4)]
    threads = [threading.Thread(target=worker.run, kwargs={"once": True}) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(runs) == Counter(job_ids), "every job ran, none twice"
    assert _statuses(engine) == {"done": 200}
    assert sum(worker.stats.done for worker in workers) == 200
    assert sum(1 for worker in workers if worker.stats.done) >= 2, "the work was shared"


def test_worker_fires_due_cron_schedules(engine: Engine) -> None:
    fired: list[dt.datetime] = []
    handlers = HandlerRegistry()
    handlers.register("reports.nightly")(lambda context: fired.append(context.job.run_at))
    now = service.utcnow()
    with transaction(engine) as session:
        schedules.save_schedule(
            session,
            actor=OPS,
            name="nightly",
            cron="* * * * *",
            kind="reports.nightly",
            now=now - dt.timedelta(minutes=3),
        )

    Worker(engine, handlers, **FAST).run(once=True)
    after = service.utcnow()

    assert len(fired) == 1, "three missed minutes coalesce into one fire"
    minute = dt.timedelta(minutes=1)
    assert now - minute < fired[0] <= after
    assert fired[0].second == 0 and fired[0].microsecond == 0
