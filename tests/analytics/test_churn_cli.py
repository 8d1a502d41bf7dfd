"""``lottocrm churn …`` on a real simulated operator, on SQLite and PostgreSQL: train, score into churn_scores
(a rerun replaces, never duplicates), list models, the 360 panel; and every refused input, which writes
nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lottocrm.analytics import artifacts as shared_artifacts
from lottocrm.analytics.churn import artifacts, pipeline
from lottocrm.analytics.churn.models import ChurnModelRecord, ChurnScore
from lottocrm.analytics.churn.panels import player_panels
from lottocrm.audit.service import Actor
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings
from lottocrm.simulator.ground_truth import PLAYERS_DIR
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import simulate

runner = CliRunner()
END = dt.date(2026, 10, 1)
CONFIG = SimulationConfig(players=1_500, seed=31, end=END, years=2)


def invoke(*args: str):
    return runner.invoke(app_(), list(args))


def app_():
    from lottocrm.cli.main import app

    return app


@pytest.fixture
def store(settings: Settings):
    engine = make_engine(settings.db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def simulated(settings: Settings, store: Engine) -> Engine:
    simulate(
        CONFIG, engine=store, lake=Lake(settings.lake_path), truth_dir=settings.ground_truth_dir, workers=1
    )
    return store


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A simulated lake and a model trained on it, to copy into tests that need no players in the store."""
    root = tmp_path_factory.mktemp("churn-source")
    engine = make_engine(f"sqlite:///{root / 'crm.sqlite3'}")
    migrate.upgrade(engine)
    simulate(CONFIG, engine=engine, lake=Lake(root / "lake"), truth_dir=root / "ground-truth", workers=1)
    workspace = pipeline.ChurnWorkspace(
        lake=Lake(root / "lake"),
        engine=engine,
        timezone="Europe/Moscow",
        models_dir=root / "models" / "churn",
        truth_players_dir=root / "ground-truth" / PLAYERS_DIR,
        today=dt.date(2026, 11, 22),
    )
    manifest = pipeline.train(workspace, as_of=dt.date(2026, 5, 1), actor=Actor("test:analytics"))
    engine.dispose()
    return root, manifest


def _scores(engine: Engine) -> dict[tuple[dt.date, str], int]:
    with transaction(engine) as session:
        rows = session.execute(
            select(ChurnScore.as_of, ChurnScore.model_version, func.count()).group_by(
                ChurnScore.as_of, ChurnScore.model_version
            )
        ).all()
    return {(as_of, version): count for as_of, version, count in rows}


def _nothing_written(settings: Settings, engine: Engine) -> None:
    assert _scores(engine) == {}
    assert artifacts.STORE.list_versions(artifacts.STORE.models_dir(settings.data_dir)) == []
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ChurnModelRecord)) == 0


def test_train_score_rerun_list_and_panel(settings: Settings, simulated: Engine) -> None:
    trained = invoke("churn", "train", "--as-of", "2026-05-01", "--json")
    assert trained.exit_code == 0, trained.output
    manifest = json.loads(trained.output)
    version = manifest["version"]
    assert manifest["metrics"]["model"]["roc_auc"] > 0.8

    listed = invoke("churn", "models", "--json")
    assert [m["version"] for m in json.loads(listed.output)] == [version]

    scored = invoke("churn", "score", "--as-of", "2026-09-01")
    assert scored.exit_code == 0, scored.output
    assert f"scored with model {version}" in scored.output
    first = _scores(simulated)
    assert list(first) == [(dt.date(2026, 9, 1), version)]
    assert str(first[(dt.date(2026, 9, 1), version)]) in scored.output

    assert re.search(r"high-risk crossings: \d+ entered, 0 left", scored.output)
    again = invoke("churn", "score", "--as-of", "2026-09-01", "--model", version)
    assert again.exit_code == 0, again.output
    assert _scores(simulated) == first
    assert "high-risk crossings: not counted" in again.output

    with transaction(simulated) as session:
        assert session.scalars(select(ChurnModelRecord.version)).all() == [version]
        riskiest = session.scalars(select(ChurnScore).order_by(ChurnScore.probability.desc()).limit(1)).one()
        assert 0.0 <= riskiest.probability <= 1.0
        panel = player_panels(session, player_id=riskiest.player_id)
    assert panel[0].title == "Churn risk"
    assert dict(panel[0].rows) == {
        "Churn probability": f"{riskiest.probability:.0%}",
        "Risk band": {"high": "High", "medium": "Medium", "low": "Low"}[riskiest.risk_band],
        "Model version": version,
        "As of": "2026-09-01",
    }


def test_backtest_command(simulated: Engine) -> None:
    result = invoke(
        "churn", "backtest", "--train-as-of", "2026-02-01", "--test-as-of", "2026-06-01", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["model"]["roc_auc"] > 0.8 and "beats_baseline" in report
    assert report["ground_truth"]["players_with_truth"] == report["model"]["players"]
    shown = invoke("churn", "backtest", "--train-as-of", "2026-02-01", "--test-as-of", "2026-06-01")
    assert "recency only" in shown.output and "calibration" in shown.output and "oracle" in shown.output


def _copy_lake(source: tuple[Path, dict], settings: Settings) -> None:
    shutil.copytree(source[0] / "lake", settings.lake_path)


def test_as_of_whose_window_runs_past_the_data_is_refused(
    source: tuple[Path, dict], settings: Settings, store: Engine
) -> None:
    _copy_lake(source, settings)
    result = invoke("churn", "train", "--as-of", "2026-08-01")
    assert result.exit_code == 1
    assert "need tickets through 2026-10-29" in result.output and "on or before" in result.output
    _nothing_written(settings, store)


def test_empty_lake_is_refused(settings: Settings, store: Engine) -> None:
    result = invoke("churn", "train", "--as-of", "2026-05-01")
    assert result.exit_code == 1 and "holds no tickets" in result.output
    _nothing_written(settings, store)


def test_future_as_of_is_refused(source: tuple[Path, dict], settings: Settings, store: Engine) -> None:
    _copy_lake(source, settings)
    result = invoke("churn", "train", "--as-of", "2099-01-01", "--window-days", "1")
    assert result.exit_code == 1 and "in the future" in result.output
    _nothing_written(settings, store)


@pytest.mark.parametrize("window", ["0", "-7"])
def test_window_must_be_positive(settings: Settings, store: Engine, window: str) -> None:
    result = invoke("churn", "train", "--as-of", "2026-05-01", "--window-days", window)
    assert result.exit_code == 1 and "at least one day" in result.output
    _nothing_written(settings, store)


def test_unknown_model_version_is_refused(settings: Settings, store: Engine) -> None:
    none_yet = invoke("churn", "score", "--as-of", "2026-05-01")
    assert none_yet.exit_code == 1 and "no churn model" in none_yet.output
    unknown = invoke("churn", "score", "--as-of", "2026-05-01", "--model", "20990101T000000Z-deadbeef")
    assert unknown.exit_code == 1 and "unknown churn model version" in unknown.output
    _nothing_written(settings, store)


def test_tampered_artifact_is_refused(source: tuple[Path, dict], settings: Settings, store: Engine) -> None:
    root, manifest = source
    _copy_lake(source, settings)
    target = artifacts.STORE.models_dir(settings.data_dir) / manifest["version"]
    shutil.copytree(root / "models" / "churn" / manifest["version"], target)
    model_file = target / shared_artifacts.MODEL_FILE
    model_file.write_bytes(model_file.read_bytes().replace(b"Tree=0", b"Tree=0 ", 1))
    result = invoke("churn", "score", "--as-of", "2026-09-01")
    assert result.exit_code == 1
    assert "SHA-256" in result.output and "refusing to load" in result.output
    assert _scores(store) == {}
