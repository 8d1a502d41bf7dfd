"""Every command that changes state leaves an audit row naming the person at the console (``cli:<name>``).

Loyalty's commands are checked in tests/loyalty/test_cli_audit.py and the model runs (CLV, churn, propensity,
clusters) in tests/test_demo_models.py; this walks the platform's own: schema, accounts and keys, jobs and
schedules, imports, the lake, the simulator, the analytical record.
"""

from __future__ import annotations

import getpass

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from lottocrm.audit.models import AuditEvent
from lottocrm.cli.main import app
from lottocrm.db.engine import make_engine, transaction
from lottocrm.jobs import service as jobs
from lottocrm.jobs.models import Job
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

ME = f"cli:{getpass.getuser()}"


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), input="a long enough password for the test\n")
    assert result.exit_code == 0, result.output
    return result.output


def _audited(engine: Engine) -> list[tuple[str, str]]:
    with transaction(engine) as session:
        rows = session.execute(select(AuditEvent.action, AuditEvent.actor).order_by(AuditEvent.id)).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_every_state_change_from_the_console_is_audited(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(settings.db_url)
    _run("db", "downgrade", "0014-1")  # one branch back; the audit table stays
    _run("db", "upgrade")
    _run("user", "create", "ivanova", "--role", "operator", "--password-stdin")
    _run("user", "reset-password", "ivanova", "--password-stdin")
    _run("user", "disable", "ivanova")
    key_prefix = _run("apikey", "create", "banners", "--scope", "players:search").split()[2]
    _run("apikey", "revoke", key_prefix)
    _run("jobs", "schedule", "nightly", "0 3 * * *", "jobs.prune")
    _run("jobs", "unschedule", "nightly")
    with transaction(engine) as session:
        dead = jobs.enqueue(session, kind="test.nothing")
        session.execute(update(Job).where(Job.id == dead).values(status="dead"))
    _run("jobs", "retry", str(dead))
    _run("simulate", "--players", "40", "--end", "2025-03-01", "--years", "1")
    _run("simulate", "--players", "40", "--end", "2025-03-01", "--years", "1", "--replace")
    players = tmp_path / "players.csv"
    players.write_text(
        "id,last_name,first_name,middle_name,birth_date,gender,region,registered_at,registration_channel\n"
        "900001,Смирнова,Ольга,,1985-02-03,F,RU-MOW,2024-05-01 10:00:00,website\n",
        encoding="utf-8",
    )
    _run("import", "players", str(players))
    lake = Lake(settings.lake_path)
    tickets = pq.read_table(lake.files("tickets")).slice(0, 5)
    lake.append(
        "tickets",
        tickets.set_column(0, "ticket_id", pa.array(range(10**9, 10**9 + 5), pa.int64())),
        batch_id="extra",
    )
    _run("lake", "compact", "tickets", "--target-rows", "1000")
    _run("lake", "vacuum", "tickets")
    _run("mart", "--as-of", "2025-02-01")

    actions = [action for action, actor in _audited(engine) if actor == ME]
    for expected in (
        "db.downgrade",
        "db.upgrade",
        "user.create",
        "user.reset_password",
        "user.disable",
        "apikey.create",
        "apikey.revoke",
        "jobs.schedule.save",
        "jobs.schedule.delete",
        "jobs.retry",
        "simulator.run",
        "ingest.import",
        "lake.compact",
        "lake.vacuum",
        "analytics.record.write",
    ):
        assert expected in actions, (expected, actions)
    assert actions.count("simulator.run") == 2
