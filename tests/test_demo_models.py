"""The demo's model step on a small simulated operator: every model it fits leaves its per-player rows (the
360 view's CLV, churn and games panels read them), and the step prints a line per model."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lottocrm.analytics.churn.models import ChurnScore
from lottocrm.analytics.clusters.models import PlayerCluster
from lottocrm.analytics.clv.models import PlayerClv
from lottocrm.analytics.propensity.models import PlayerNextGame
from lottocrm.cli.demo_steps import fit_models
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import simulate

END = dt.date(2026, 10, 1)


@pytest.mark.slow
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
    engine.dispose()
    assert all(count > 0 for count in counts.values()), counts
    for words in ("lifetime value", "churn model", "next game to offer", "micro-segments chosen by BIC"):
        assert words in printed
