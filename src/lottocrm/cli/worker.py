"""``lottocrm worker``: run background jobs — every kind of every installed domain — until stopped."""

from __future__ import annotations

import datetime as dt
import signal
from types import FrameType
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from lottocrm.cli.context import fail, load_settings, say
from lottocrm.db.engine import get_engine
from lottocrm.events.delivery import worker_registry
from lottocrm.jobs.worker import Worker


def worker(
    once: bool = typer.Option(False, "--once", help="Run the jobs due now, then exit (for cron and tests)."),
    concurrency: int = typer.Option(
        4, "--concurrency", "-c", min=1, max=256, help="Jobs run at the same time."
    ),
    queues: Annotated[
        list[str] | None,
        typer.Option("--queues", help="Only these queues (repeat or comma-separate); default: all."),
    ] = None,
    lease_seconds: float = typer.Option(60.0, min=1.0, help="Lease per claim; renewed every third of it."),
    poll_seconds: float = typer.Option(1.0, min=0.01, help="Pause between looks for new work when idle."),
    schedules_on: bool = typer.Option(
        True, "--schedules/--no-schedules", help="Also enqueue due cron fires."
    ),
) -> None:
    """Run background jobs until stopped (SIGTERM or Ctrl-C finishes the jobs in hand, then exits)."""
    engine = get_engine(load_settings())
    names = [name.strip() for entry in queues or () for name in entry.split(",") if name.strip()]
    runner = Worker(
        engine,
        worker_registry(),
        queues=names or None,
        concurrency=concurrency,
        lease=dt.timedelta(seconds=lease_seconds),
        poll_interval=poll_seconds,
        run_schedules=schedules_on,
    )

    def _graceful(signum: int, _frame: FrameType | None) -> None:
        say(f"{signal.Signals(signum).name}: finishing the jobs in hand, then stopping")
        runner.stop()

    previous = {signum: signal.signal(signum, _graceful) for signum in (signal.SIGTERM, signal.SIGINT)}
    say(f"worker {runner.name}: {concurrency} at a time, queues: {', '.join(names) or 'all'}")
    try:
        stats = runner.run(once=once)
    except DBAPIError as exc:
        raise fail(f"cannot use the database: {exc.orig}") from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    say(f"done {stats.done}, retried {stats.retried}, dead {stats.dead}, lost leases {stats.lost}")
