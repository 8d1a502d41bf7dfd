"""``lottocrm clv score``: per-player lifetime value into ``player_clv`` on both dialects, the 360 panel,
and every refused input (nothing written)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from lake_factory import write_players
from sqlalchemy import func, select
from typer.testing import CliRunner

from lottocrm.analytics.clv import panels, predict
from lottocrm.analytics.clv.models import ClvFit, PlayerClv
from lottocrm.analytics.clv.pipeline import fit_and_score
from lottocrm.analytics.clv.scoring import ScoreOptions, StoredFit, score
from lottocrm.analytics.clv.summary import LakeSummary
from lottocrm.audit.service import Actor
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

runner = CliRunner()
START = dt.date(2024, 1, 1)
CALIBRATION_END = dt.date(2024, 6, 30)
TODAY = dt.date(2025, 1, 1)


@pytest.fixture
def store(settings: Settings):
    engine = make_engine(settings.db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def filled(settings: Settings, store):
    write_players(Lake(settings.lake_path), players=300, start=START, days=365, seed=3)
    return store


def score_cli(*args: str):
    return runner.invoke(app(), ["--quiet", "clv", "score", "--calibration-end", *args])


def app():  # the CLI imports settings lazily; importing it here keeps collection light
    from lottocrm.cli.main import app as main_app

    return main_app


def _rows(engine) -> dict[dt.date, int]:
    with transaction(engine) as session:
        return dict(session.execute(select(PlayerClv.as_of, func.count()).group_by(PlayerClv.as_of)).all())


def test_score_writes_every_player_and_a_rerun_replaces(filled) -> None:
    result = score_cli(CALIBRATION_END.isoformat(), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["model"] == "pareto" and not report["reused_fit"]
    assert report["players"] == 300
    assert _rows(filled) == {CALIBRATION_END: 300}
    with transaction(filled) as session:
        rows = session.scalars(select(PlayerClv)).all()
        assert sum(row.clv_kopecks for row in rows) == report["clv_kopecks"]
        assert all(0 < row.probability_alive <= 1 for row in rows)
        assert all(row.expected_purchases >= 0 and row.clv_kopecks >= 0 for row in rows)
        assert {(row.model, row.horizon_days, row.discount_rate) for row in rows} == {("pareto", 365, 0.15)}
        assert session.scalar(select(ClvFit.model).where(ClvFit.as_of == CALIBRATION_END)) == "pareto"

    again = score_cli(CALIBRATION_END.isoformat(), "--horizon-days", "90", "--model", "bgnbd", "--json")
    assert again.exit_code == 0, again.output
    assert _rows(filled) == {CALIBRATION_END: 300}
    with transaction(filled) as session:
        assert set(session.scalars(select(PlayerClv.horizon_days))) == {90}
        assert set(session.scalars(select(PlayerClv.model))) == {"bgnbd"}

    earlier = dt.date(2024, 4, 30)
    assert score_cli(earlier.isoformat()).exit_code == 0
    assert set(_rows(filled)) == {CALIBRATION_END, earlier}


def test_reuse_fit_loads_the_stored_parameters(filled, settings: Settings) -> None:
    first = fit_and_score(settings, filled, CALIBRATION_END, today=TODAY, actor=Actor("test:analytics"))
    second = fit_and_score(
        settings,
        filled,
        CALIBRATION_END,
        options=ScoreOptions(horizon_days=30),
        reuse_fit=True,
        today=TODAY,
        actor=Actor("test:analytics"),
    )
    assert not first.reused_fit and second.reused_fit
    assert second.params == first.params and second.spend_params == first.spend_params
    assert second.expected_purchases < first.expected_purchases


def test_scores_agree_with_the_model_formulas(filled, settings: Settings) -> None:
    from lottocrm.analytics.clv.scoring import fit_models
    from lottocrm.analytics.clv.summary import Transaction

    summary = LakeSummary(Lake(settings.lake_path), timezone=settings.timezone).summarise(
        calibration_end=CALIBRATION_END
    )
    fitted: StoredFit = fit_models(summary, model="pareto", transaction=Transaction.VISIT)
    undiscounted = score(summary, fitted, horizon_days=100, discount_rate=0.0)
    x, t_x, T = summary["x"], summary["t_x"], summary["T"]
    np.testing.assert_allclose(
        undiscounted.expected_purchases,
        predict.expected_purchases(fitted.purchase, t=100 / 7, x=x, t_x=t_x, T=T),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        undiscounted.probability_alive, predict.probability_alive(fitted.purchase, x=x, t_x=t_x, T=T)
    )
    # Without discounting, value is purchases times spend; discounting only lowers it.
    np.testing.assert_allclose(
        undiscounted.clv_kopecks,
        undiscounted.expected_purchases * undiscounted.expected_spend_kopecks,
        rtol=1e-3,
        atol=1,
    )
    discounted = score(summary, fitted, horizon_days=100, discount_rate=0.5)
    assert (discounted.clv_kopecks <= undiscounted.clv_kopecks).all()
    assert discounted.clv_kopecks.sum() < undiscounted.clv_kopecks.sum()


def test_panel_shows_the_latest_score(filled, settings: Settings) -> None:
    fit_and_score(settings, filled, dt.date(2024, 4, 30), today=TODAY, actor=Actor("test:analytics"))
    fit_and_score(settings, filled, CALIBRATION_END, today=TODAY, actor=Actor("test:analytics"))
    with transaction(filled) as session:
        row = session.get(PlayerClv, (CALIBRATION_END, 1))
        assert row is not None
        (panel,) = panels.player_panels(session, player_id=1)
        assert panels.player_panels(session, player_id=10_000) == []
    assert panel.key == "clv" and panel.title == "Lifetime value"
    values = dict(panel.rows)
    assert values["As of"] == CALIBRATION_END.isoformat()
    assert values["Model"] == "Pareto/NBD"
    assert values["Probability alive"] == f"{row.probability_alive:.0%}"
    assert values["Lifetime value (discounted)"].endswith(" ₽")

    from lottocrm.web.i18n import translations

    russian = translations("ru").gettext
    for label in [panel.title, *values]:
        assert russian(label) != label, f"no Russian for {label!r}"


def test_zero_horizon_is_refused(filled) -> None:
    result = score_cli(CALIBRATION_END.isoformat(), "--horizon-days", "0")
    assert result.exit_code == 1
    assert "horizon must be at least one day" in result.output
    assert _rows(filled) == {}


def test_negative_discount_rate_is_refused(filled) -> None:
    result = score_cli(CALIBRATION_END.isoformat(), "--discount-rate", "-0.1")
    assert result.exit_code == 1
    assert "discount rate must be ≥ 0" in result.output
    assert _rows(filled) == {}


def test_calibration_end_before_any_ticket_is_refused(filled) -> None:
    result = score_cli("2023-06-30")
    assert result.exit_code == 1
    assert "before the first ticket" in result.output
    assert _rows(filled) == {}


def test_empty_lake_is_refused(settings: Settings, store) -> None:
    result = score_cli(CALIBRATION_END.isoformat())
    assert result.exit_code == 1
    assert "holds no tickets" in result.output
    assert _rows(store) == {}
