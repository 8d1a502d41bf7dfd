"""New hours recompute the team's open cases through a durable job; the console can do the same, audited
as the person at it, and refuses an unknown team clearly."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.cli.main import app
from lottocrm.contact_centre.cases import service as cases
from lottocrm.contact_centre.cases.models import Case
from lottocrm.contact_centre.sla import jobs as sla_jobs
from lottocrm.contact_centre.sla.service import RECOMPUTE_JOB
from lottocrm.contact_centre.teams import service as teams
from lottocrm.db.engine import transaction
from lottocrm.jobs.models import Job
from lottocrm.jobs.registry import JobContext
from lottocrm.jobs.service import ClaimedJob
from lottocrm.settings import Settings

MONDAY_9 = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)  # 09:00 in Moscow
ACTOR = Actor("user:supervisor")


def _open_case(engine: Engine, make_player) -> int:  # type: ignore[no-untyped-def]
    with clock.frozen(MONDAY_9), transaction(engine) as session:
        player = make_player(session)
        return cases.open_case(
            session, actor=ACTOR, player_id=player.id, case_type="question", subject="Вопрос", team="payouts"
        ).id


def test_new_hours_queue_a_recompute_that_moves_the_open_cases(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    case_id = _open_case(engine, make_player)
    with transaction(engine) as session:
        before = session.get(Case, case_id).resolution_due_at  # type: ignore[union-attr]
    with clock.frozen(MONDAY_9), transaction(engine) as session:
        teams.save_team(
            session,
            actor=ACTOR,
            code="payouts",
            name="Отдел выплат",
            timezone="Europe/Moscow",
            hours={day: ["09:00-21:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        )
    with transaction(engine) as session:
        job = session.scalars(select(Job).where(Job.kind == RECOMPUTE_JOB)).one()
        claimed = ClaimedJob(job.id, job.kind, job.queue, job.payload, 1, job.max_attempts, job.run_at)
    with clock.frozen(MONDAY_9 + dt.timedelta(minutes=5)):
        sla_jobs.recompute(JobContext(job=claimed, engine=engine))
    with transaction(engine) as session:
        after = session.get(Case, case_id).resolution_due_at  # type: ignore[union-attr]
    # 2 400 business minutes from Monday 09:00: five days of eight hours (Friday 18:00) before, three days
    # of twelve and four hours (Thursday 13:00) after.
    assert before == dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)
    assert after == dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)


def test_the_console_recomputes_and_refuses_an_unknown_team(
    settings: Settings, engine: Engine, make_player
) -> None:  # type: ignore[no-untyped-def]
    _open_case(engine, make_player)
    done = CliRunner().invoke(
        app, ["contact-centre", "recompute-sla", "--team", "payouts", "--by", "ivanova"]
    )
    assert done.exit_code == 0, done.output
    assert "0 due times moved" in done.output
    unknown = CliRunner().invoke(app, ["contact-centre", "recompute-sla", "--team", "nobody"])
    assert unknown.exit_code == 1 and "no team 'nobody'" in unknown.output
    with transaction(engine) as session:
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "contact_centre.sla.recompute")
        )
        assert list(actors) == ["cli:ivanova"]
