"""The operator's commands: `lottocrm worker --once`, `jobs list`, `jobs retry`, `jobs schedule(s)`."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lottocrm.cli import context
from lottocrm.cli.main import app
from lottocrm.db.engine import get_engine, transaction
from lottocrm.jobs import service
from lottocrm.jobs.handlers import PRUNE_KIND
from lottocrm.jobs.models import Job, JobSchedule
from lottocrm.settings import Settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as on a wide terminal, so a cell's text is not wrapped across lines."""
    monkeypatch.setattr(context.console, "width", 200)


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_worker_once_runs_the_due_jobs_with_the_registered_handlers(settings: Settings) -> None:
    engine = get_engine(settings)
    long_ago = service.utcnow() - dt.timedelta(days=90)
    with transaction(engine) as session:
        old = service.enqueue(session, kind="test.finished-long-ago")
        session.execute(
            Job.__table__.update().where(Job.id == old).values(status="done", finished_at=long_ago)
        )
        prune = service.enqueue(session, kind=PRUNE_KIND, payload={"keep_days": 30})

    result = _invoke("worker", "--once", "--poll-seconds", "0.05")

    assert result.exit_code == 0, result.output
    assert "done 1" in result.output
    with transaction(engine) as session:
        assert session.get(Job, old) is None, "the prune job deleted the long-finished job"
        pruned = session.get(Job, prune)
        assert pruned is not None and pruned.status == "done"


def test_jobs_list_and_retry_bring_a_dead_job_back(settings: Settings) -> None:
    engine = get_engine(settings)
    with transaction(engine) as session:
        dead = service.enqueue(session, kind="sms.send", max_attempts=1)
        (job,) = service.claim(session, worker="w", kinds=["sms.send"])
        service.fail(session, job=job, error="Traceback …\nConnectionError: SMS gateway down")
        waiting = service.enqueue(session, kind="sms.send")

    listed = _invoke("jobs", "list", "--status", "dead")
    assert listed.exit_code == 0
    assert "SMS gateway down" in listed.output
    assert "dead: 1" in listed.output and "queued: 1" in listed.output

    retried = _invoke("jobs", "retry", str(dead), str(waiting))
    assert retried.exit_code == 1, "one of the ids was not dead: the operator must hear about it"
    assert f"queued again: {dead}" in retried.output
    with transaction(engine) as session:
        assert session.scalar(select(Job.status).where(Job.id == dead)) == "queued"

    assert _invoke("jobs", "list", "--status", "nonsense").exit_code != 0


def test_schedules_are_defined_listed_and_deleted_from_the_cli(settings: Settings) -> None:
    saved = _invoke(
        "jobs", "schedule", "prune-nightly", "0 3 * * *", PRUNE_KIND, "--payload", '{"keep_days": 7}'
    )
    assert saved.exit_code == 0, saved.output
    listed = _invoke("jobs", "schedules")
    assert "prune-nightly" in listed.output and "Europe/Moscow" in listed.output
    with transaction(get_engine(settings)) as session:
        schedule = session.scalar(select(JobSchedule))
        assert schedule is not None
        assert schedule.payload == {"keep_days": 7}
        assert schedule.next_fire_at.astimezone(dt.UTC).hour == 0, "03:00 Moscow is 00:00 UTC"

    bad_cron = _invoke("jobs", "schedule", "x", "every night", PRUNE_KIND)
    assert bad_cron.exit_code == 1 and "not a cron expression" in bad_cron.output
    bad_payload = _invoke("jobs", "schedule", "x", "0 3 * * *", PRUNE_KIND, "--payload", "[1]")
    assert bad_payload.exit_code == 1 and "JSON object" in bad_payload.output

    assert _invoke("jobs", "unschedule", "prune-nightly").exit_code == 0
    assert _invoke("jobs", "unschedule", "prune-nightly").exit_code == 1
