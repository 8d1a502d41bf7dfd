"""The demo's model step on a small simulated operator: every model it fits leaves its per-player rows (the
360 view's CLV, churn and games panels read them), and the step prints a line per model."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from helpers.dialects import DEMO_DATABASE
from lottocrm.analytics.churn.models import ChurnScore
from lottocrm.analytics.clusters.models import PlayerCluster
from lottocrm.analytics.clv.models import PlayerClv
from lottocrm.analytics.propensity.models import PlayerNextGame
from lottocrm.audit.models import AuditEvent
from lottocrm.cli.demo_steps import fit_models
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import simulate

END = dt.date(2026, 10, 1)


@pytest.mark.slow
@DEMO_DATABASE
def test_demo_model_step_scores_every_buyer(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_engine(settings.db_url)
    migrate.upgrade(engine)
    simulate(
        SimulationConfig(players=1_500, seed=7, end=END, years=2),
        engine=engine,
        lake=Lake(settings.lake_path),
        truth_dir=settings.ground_truth_dir,
        workers=1,
    )
    fit_models(settings, engine, END)
    printed = capsys.readouterr().out
    with engine.connect() as connection:
        counts = {
            model.__tablename__: connection.scalar(select(func.count()).select_from(model))
            for model in (PlayerClv, ChurnScore, PlayerNextGame, PlayerCluster)
        }
        audited = set(connection.scalars(select(AuditEvent.action).where(AuditEvent.actor.like("cli:%"))))
    engine.dispose()
    assert all(count > 0 for count in counts.values()), counts
    # Every model run is a change of state made from the console: each leaves its audit row.
    assert {
        "analytics.clv.score",
        "analytics.churn.train",
        "analytics.churn.score",
        "analytics.propensity.build",
        "analytics.clusters.fit",
    } <= audited, audited
    for words in ("lifetime value", "churn model", "next game to offer", "micro-segments chosen by BIC"):
        assert words in printed


def test_the_demo_run_again_keeps_its_data_and_prints_new_sign_ins_even_quietly(settings: Settings) -> None:
    """`make demo` twice: the second run finds its own demo, keeps it, resets the demo passwords and prints
    them (the result of the command, so also under --quiet) with a till key."""
    from typer.testing import CliRunner

    from helpers.factories import IMPORT, make_players, make_users
    from lottocrm import clock
    from lottocrm.auth.demo import create_demo_users
    from lottocrm.cli.demo_steps import DEMO_TILL_PARTNER
    from lottocrm.cli.main import app
    from lottocrm.db.engine import transaction
    from lottocrm.loyalty.programme.partners import create_partner

    engine = make_engine(settings.db_url)
    migrate.upgrade(engine)
    make_users(engine)
    make_players(engine)
    create_demo_users(engine)
    with transaction(engine) as session:
        create_partner(session, code=DEMO_TILL_PARTNER, name="Перекрёсток", now=clock.now(), actor=IMPORT)
    result = CliRunner().invoke(app, ["--quiet", "demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "demo-admin" in result.output and "KEY=" in result.output
    assert "simulating" not in result.output

    # The same folder after an upgrade of lottocrm: a migration it has not seen yet is applied and the
    # demo is kept (found by running `make demo` on a folder an earlier version made).
    migrate.downgrade(engine, "0021")
    assert migrate.schema_state(settings.db_url) == "outdated"
    again = CliRunner().invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "upgrading it" in again.output and "demo-admin" in again.output
    assert "simulating" not in again.output and migrate.schema_state(settings.db_url) == "current"
