"""``lottocrm jobs …``: look at background jobs, retry dead ones, define cron schedules."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from lottocrm.audit.service import Actor
from lottocrm.cli.context import console, fail, load_settings, say
from lottocrm.db.engine import get_engine, transaction
from lottocrm.events.delivery import worker_registry
from lottocrm.jobs import schedules, service
from lottocrm.jobs.models import JOB_STATUSES

jobs_app = typer.Typer(help="Inspect and retry background jobs; list cron schedules.", no_args_is_help=True)


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _table(*headers: str) -> Table:
    # Cells are names, timestamps and cron lines: cut one short rather than break it over two lines.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header in headers:
        table.add_column(header, no_wrap=True)
    return table


@jobs_app.command("list")
def list_jobs(
    status: str | None = typer.Option(None, help=f"Only jobs in this status: {', '.join(JOB_STATUSES)}."),
    kind: str | None = typer.Option(None, help="Only jobs of this kind."),
    limit: int = typer.Option(50, min=1, help="How many of the newest jobs to show."),
) -> None:
    """Show the newest jobs and the count in each status."""
    if status is not None and status not in JOB_STATUSES:
        raise fail(f"--status must be one of {', '.join(JOB_STATUSES)}, got {status!r}")
    with transaction(get_engine(load_settings())) as session:
        counts = service.count_by_status(session)
        rows = service.list_jobs(session, status=status, kind=kind, limit=limit)
    table = _table("id", "kind", "queue", "status", "attempts", "run at (UTC)")
    table.add_column("last error", overflow="ellipsis", no_wrap=True)
    for job in rows:
        error = (job.last_error or "").strip().splitlines()
        table.add_row(
            str(job.id),
            job.kind,
            job.queue,
            job.status,
            f"{job.attempts}/{job.max_attempts}",
            _when(job.run_at),
            error[-1][:80] if error else "",
        )
    console.print(table)
    console.print("  ".join(f"{name}: {counts.get(name, 0)}" for name in JOB_STATUSES))


@jobs_app.command("retry")
def retry(job_ids: Annotated[list[int], typer.Argument(help="Ids of dead jobs to run again.")]) -> None:
    """Queue dead jobs again with a fresh set of attempts."""
    with transaction(get_engine(load_settings())) as session:
        requeued = service.retry(session, actor=Actor.console(), job_ids=job_ids)
    skipped = sorted(set(job_ids) - set(requeued))
    say(f"queued again: {', '.join(map(str, requeued)) or 'none'}")
    if skipped:
        raise fail(f"not dead (or unknown), left alone: {', '.join(map(str, skipped))}")


@jobs_app.command("schedules")
def list_schedules() -> None:
    """Show the cron schedules and when each fires next."""
    with transaction(get_engine(load_settings())) as session:
        rows = schedules.list_schedules(session)
    table = _table("name", "cron", "time zone", "kind", "enabled", "last fire (UTC)", "next fire (UTC)")
    for row in rows:
        table.add_row(
            row.name,
            row.cron,
            row.timezone,
            row.kind,
            "yes" if row.enabled else "no",
            _when(row.last_fire_at),
            _when(row.next_fire_at),
        )
    console.print(table)


@jobs_app.command("schedule")
def schedule(
    name: str = typer.Argument(..., help="Unique schedule name; an existing one is redefined."),
    cron: str = typer.Argument(..., help="Cron expression, e.g. '0 3 * * *' for 03:00 every day."),
    kind: str = typer.Argument(..., help="Job kind to enqueue at each fire."),
    payload: str = typer.Option("{}", help="Job payload as a JSON object."),
    timezone: str = typer.Option(None, help="Time zone of the cron fields (default: LOTTOCRM_TIMEZONE)."),
    queue: str = typer.Option("default", help="Queue of the enqueued jobs."),
    disabled: bool = typer.Option(False, "--disabled", help="Define it without firing."),
) -> None:
    """Create or redefine a cron schedule."""
    settings = load_settings()
    try:
        body = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise fail(f"--payload is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise fail("--payload must be a JSON object, e.g. '{\"keep_days\": 30}'")
    if kind not in worker_registry().kinds:
        say(f"note: no handler for kind {kind!r} is registered; its jobs will wait until one is")
    try:
        with transaction(get_engine(settings)) as session:
            saved = schedules.save_schedule(
                session,
                actor=Actor.console(),
                name=name,
                cron=cron,
                kind=kind,
                payload=body,
                timezone=timezone or settings.timezone,
                queue=queue,
                enabled=not disabled,
            )
            next_fire = saved.next_fire_at
    except schedules.ScheduleError as exc:
        raise fail(str(exc)) from None
    say(f"schedule {name}: next fire {_when(next_fire)} UTC")


@jobs_app.command("unschedule")
def unschedule(name: str = typer.Argument(..., help="Name of the schedule to delete.")) -> None:
    """Delete a cron schedule (jobs it already enqueued stay)."""
    with transaction(get_engine(load_settings())) as session:
        deleted = schedules.delete_schedule(session, actor=Actor.console(), name=name)
    if not deleted:
        raise fail(f"no schedule named {name!r}")
    say(f"schedule {name} deleted")
