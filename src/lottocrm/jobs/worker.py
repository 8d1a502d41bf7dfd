"""The worker loop: tick the schedules, lease due jobs, run them on a thread pool, keep their leases alive.

Each step is its own short transaction, so the worker never holds the SQLite write lock while a handler runs.
A stop request (SIGTERM, SIGINT) stops claiming and lets the jobs in hand finish; a worker that is killed
outright leaves its jobs leased until ``locked_until``, after which any worker takes them over.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from lottocrm.db.engine import transaction
from lottocrm.jobs import schedules, service
from lottocrm.jobs.registry import HandlerRegistry, JobContext
from lottocrm.jobs.service import Backoff, ClaimedJob

log = logging.getLogger(__name__)


@dataclass
class WorkerStats:
    done: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0
    scheduled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, outcome: str) -> None:
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(
        self,
        engine: Engine,
        registry: HandlerRegistry,
        *,
        queues: Sequence[str] | None = None,
        concurrency: int = 1,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        poll_interval: float = 1.0,
        backoff: Backoff = service.DEFAULT_BACKOFF,
        run_schedules: bool = True,
        name: str | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.engine = engine
        self.registry = registry
        self.queues = list(queues) if queues else None
        self.concurrency = concurrency
        self.lease = lease
        self.poll_interval = poll_interval
        self.backoff = backoff
        self.run_schedules = run_schedules
        self.name = name or default_worker_name()
        self.stop_requested = threading.Event()
        self.stats = WorkerStats()
        self._in_hand: dict[int, ClaimedJob] = {}
        self._in_hand_lock = threading.Lock()

    def stop(self) -> None:
        """Ask the loop to finish the jobs in hand and return; safe to call from a signal handler."""
        self.stop_requested.set()

    def run(self, *, once: bool = False) -> WorkerStats:
        """Work until stopped; with ``once``, until no job is due and none is running."""
        drained = threading.Event()
        heartbeat = threading.Thread(target=self._keep_leases, args=(drained,), name=f"{self.name}-heartbeat")
        heartbeat.start()
        running: set[Future[None]] = set()
        next_tick = 0.0
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix=self.name) as pool:
                while not self.stop_requested.is_set():
                    if self.run_schedules and time.monotonic() >= next_tick:
                        next_tick = time.monotonic() + self.poll_interval
                        self._tick_schedules()
                    free = self.concurrency - len(running)
                    claimed = self._claim(free) if free else []
                    running.update(pool.submit(self._execute, job) for job in claimed)
                    if once and not claimed and not running:
                        break
                    if running:
                        timeout = 0 if claimed else self.poll_interval
                        running = set(wait(running, timeout=timeout, return_when=FIRST_COMPLETED).not_done)
                    elif not claimed:
                        self.stop_requested.wait(self.poll_interval)
                wait(running)
        finally:
            drained.set()
            heartbeat.join()
        return self.stats

    def _tick_schedules(self) -> None:
        try:
            with transaction(self.engine) as session:
                self.stats.scheduled += schedules.tick(session)
        except DBAPIError:
            log.exception("scheduler tick failed; will try again")

    def _claim(self, limit: int) -> list[ClaimedJob]:
        try:
            with transaction(self.engine) as session:
                claimed = service.claim(
                    session,
                    worker=self.name,
                    kinds=self.registry.kinds,
                    queues=self.queues,
                    limit=limit,
                    lease=self.lease,
                )
        except DBAPIError:
            # The store is unreachable or busy: keep the worker alive and try again after a pause.
            log.exception("claiming jobs failed; will try again")
            self.stop_requested.wait(self.poll_interval)
            return []
        with self._in_hand_lock:
            self._in_hand.update((job.id, job) for job in claimed)
        return claimed

    def _execute(self, job: ClaimedJob) -> None:
        try:
            self.registry.handler_for(job.kind)(JobContext(job=job, engine=self.engine))
        except Exception as error:
            log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempt, error)
            self._record(job, error)
        else:
            self._record(job, None)
        finally:
            with self._in_hand_lock:
                self._in_hand.pop(job.id, None)

    def _record(self, job: ClaimedJob, error: Exception | None) -> None:
        """Write the attempt's outcome; if even that fails, the lease expires and the job runs again."""
        try:
            with transaction(self.engine) as session:
                if error is None:
                    outcome = "done" if service.complete(session, job=job) else "lost"
                else:
                    status = service.fail(
                        session, job=job, error=service.format_error(error), backoff=self.backoff
                    )
                    outcome = {"queued": "retried", "dead": "dead", None: "lost"}[status]
        except DBAPIError:
            log.exception("could not record the outcome of job %s; it will run again after its lease", job.id)
            return
        if outcome == "lost":
            log.warning("job %s ended after another worker took over its lease; outcome not recorded", job.id)
        self.stats.count(outcome)

    def _keep_leases(self, drained: threading.Event) -> None:
        # Renew at a third of the lease so two missed beats still leave the lease valid.
        interval = self.lease.total_seconds() / 3
        while not drained.wait(interval):
            with self._in_hand_lock:
                leases = [(job.id, job.attempt) for job in self._in_hand.values()]
            if not leases:
                continue
            try:
                with transaction(self.engine) as session:
                    lost = service.heartbeat(session, leases=leases, lease=self.lease)
            except DBAPIError:
                log.exception("heartbeat failed; will try again")
                continue
            for job_id in lost:
                log.warning("lost the lease of job %s; another worker may run it again", job_id)
