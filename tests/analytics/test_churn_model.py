"""The churn model on a real simulated operator (SQLite store, real lake, simulator ground truth): it beats
the recency-only baseline out of time, tracks who really dropped out, trains deterministically, and its
artifacts refuse to load once tampered with. Storage on both dialects is covered by test_churn_cli.py."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from lake_factory import tickets_table
from sqlalchemy import func, select

from lottocrm.analytics import artifacts as shared_artifacts
from lottocrm.analytics.churn import artifacts, metrics, pipeline
from lottocrm.analytics.churn.artifacts import ChurnArtifactError
from lottocrm.analytics.churn.features import RECORD_FEATURES, FeatureSpec
from lottocrm.analytics.churn.models import ChurnModelRecord, ChurnScore
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.audit.service import Actor
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.simulator.ground_truth import PLAYERS_DIR
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import simulate

END = dt.date(2026, 10, 1)
TODAY = dt.date(2026, 11, 22)
PLAYERS = 4_000


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("churn-operator")
    engine = make_engine(f"sqlite:///{root / 'crm.sqlite3'}")
    migrate.upgrade(engine)
    simulate(
        SimulationConfig(players=PLAYERS, seed=2026, end=END, years=2),
        engine=engine,
        lake=Lake(root / "lake"),
        truth_dir=root / "ground-truth",
        workers=1,
    )
    yield pipeline.ChurnWorkspace(
        lake=Lake(root / "lake"),
        engine=engine,
        timezone="Europe/Moscow",
        models_dir=root / "models" / "churn",
        truth_players_dir=root / "ground-truth" / PLAYERS_DIR,
        today=TODAY,
    )
    engine.dispose()


@pytest.fixture(scope="module")
def trained(workspace: pipeline.ChurnWorkspace) -> dict:
    return pipeline.train(workspace, as_of=dt.date(2026, 5, 1), actor=Actor("test:analytics"))


def test_backtest_beats_the_recency_baseline_and_tracks_the_truth(workspace: pipeline.ChurnWorkspace) -> None:
    report = pipeline.backtest(workspace, train_as_of=dt.date(2026, 2, 1), test_as_of=dt.date(2026, 6, 1))
    model, baseline = report["model"], report["recency_baseline"]
    assert report["beats_baseline"]
    assert model["roc_auc"] > baseline["roc_auc"] and model["pr_auc"] > baseline["pr_auc"]
    assert model["brier"] < baseline["brier"]
    assert model["top_decile_lift"] > 1.5
    assert [row["decile"] for row in model["reliability"]] == list(range(1, 11))
    truth = report["ground_truth"]
    assert truth["players_with_truth"] == model["players"]
    assert 0 < truth["dropped_out_share"] < model["churn_rate"]  # quiet players who are still alive exist
    against_truth = truth["auc_vs_dropped_out"]
    assert against_truth["model"] > against_truth["recency_baseline"]
    # The true parameters separate the dropped-out best: the truth computation itself is sane.
    assert against_truth["true_p_alive"] > against_truth["model"]
    assert truth["oracle_roc_auc"] > baseline["roc_auc"]


def test_manifest_records_what_scoring_needs(workspace: pipeline.ChurnWorkspace, trained: dict) -> None:
    folder = workspace.models_dir / trained["version"]
    on_disk = json.loads((folder / shared_artifacts.MANIFEST_FILE).read_text("utf-8"))
    assert on_disk == trained
    assert trained["training_as_of"] == "2026-05-01" and trained["window_days"] == 90
    assert trained["training_rows"] > 1_000 and trained["holdout_rows"] > 200
    assert "recency_days" in trained["features"]["names"]
    assert trained["features"]["categorical"]["main_channel"] == sorted(
        trained["features"]["categorical"]["main_channel"]
    )
    assert trained["metrics"]["model"]["roc_auc"] > 0.8
    assert trained["lottocrm_version"] and trained["created_at"] and len(trained["model_sha256"]) == 64


def test_training_is_deterministic(workspace: pipeline.ChurnWorkspace, trained: dict) -> None:
    again = pipeline.train(workspace, as_of=dt.date(2026, 5, 1), actor=Actor("test:analytics"))
    assert again["model_sha256"] == trained["model_sha256"]


def test_tampered_missing_or_unknown_artifacts_are_refused(
    workspace: pipeline.ChurnWorkspace, trained: dict, tmp_path: Path
) -> None:
    copy = tmp_path / "models"
    shutil.copytree(workspace.models_dir / trained["version"], copy / trained["version"])
    assert artifacts.STORE.load(copy, trained["version"]).version == trained["version"]

    model_file = copy / trained["version"] / shared_artifacts.MODEL_FILE
    model_file.write_text(
        model_file.read_text("utf-8").replace("learning_rate", "learning_rate ", 1), "utf-8"
    )
    with pytest.raises(ChurnArtifactError, match="SHA-256 .* refusing to load"):
        artifacts.STORE.load(copy, trained["version"])
    model_file.unlink()
    with pytest.raises(ChurnArtifactError, match="is missing"):
        artifacts.STORE.load(copy, trained["version"])
    with pytest.raises(ChurnArtifactError, match="unknown churn model version 'nope'"):
        artifacts.STORE.load(copy, "nope")
    with pytest.raises(ChurnArtifactError, match="is not a model version"):
        artifacts.STORE.load(copy, "../churn")


def test_backtest_refuses_a_test_date_inside_the_training_window(workspace: pipeline.ChurnWorkspace) -> None:
    with pytest.raises(AnalyticsInputError, match="peek at its own future"):
        pipeline.backtest(workspace, train_as_of=dt.date(2026, 3, 1), test_as_of=dt.date(2026, 4, 1))


def test_unseen_categories_and_nulls_are_missing_values() -> None:
    record = pa.table(
        {
            "player_id": [1, 2],
            "region": ["RU-MOW", "RU-XXX"],
            "favourite_game_id": pa.array([3, None], pa.int32()),
            "main_channel": ["app", "app"],
            "last_win_on": pa.array([dt.date(2026, 4, 30), None]),
            **{name: pa.array([1.0, None]) for name in RECORD_FEATURES},
        }
    )
    spec = FeatureSpec(categories={"region": ["RU-MOW"], "favourite_game_id": ["3"], "main_channel": ["app"]})
    matrix = spec.matrix(record, as_of=dt.date(2026, 5, 1))
    names = spec.names
    assert matrix[0, names.index("region")] == 0 and np.isnan(matrix[1, names.index("region")])
    assert np.isnan(matrix[1, names.index("favourite_game_id")])
    assert matrix[0, names.index("days_since_last_win")] == 1 and np.isnan(
        matrix[1, names.index("recency_days")]
    )


def test_metrics_on_numbers_worked_out_by_hand() -> None:
    churned = np.array([True] * 3 + [False] * 17)
    probability = np.linspace(1, 0, 20)  # the three churners ranked first
    report = metrics.evaluate(churned, probability)
    assert report["roc_auc"] == 1.0 and report["pr_auc"] == 1.0
    assert report["top_decile_lift"] == pytest.approx(1.0 / 0.15)  # top 2 of 20 all churned, base rate 15 %
    assert report["reliability"][0] == {
        "decile": 1,
        "players": 2,
        "mean_predicted": pytest.approx((1 + 1 - 1 / 19) / 2),
        "observed_rate": 1.0,
    }
    assert report["brier"] == pytest.approx(float(np.mean((probability - churned) ** 2)))


def test_metrics_refuse_a_single_class() -> None:
    with pytest.raises(AnalyticsInputError, match="all 4 players churned"):
        metrics.evaluate(np.ones(4, dtype=bool), np.full(4, 0.5))


def test_a_lake_without_buyers_is_refused_and_scores_nothing(
    workspace: pipeline.ChurnWorkspace, trained: dict, tmp_path: Path
) -> None:
    """Only anonymous tickets: there is no buyer to learn from or to score, and nothing is written."""
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    migrate.upgrade(engine)
    lake = Lake(tmp_path / "lake")
    noon = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
    lake.append(
        "tickets",
        tickets_table([(None, noon + dt.timedelta(days=d), 10_000) for d in range(200)]),
        batch_id="anon",
    )
    empty = pipeline.ChurnWorkspace(
        lake=lake,
        engine=engine,
        timezone="Europe/Moscow",
        models_dir=tmp_path / "models",
        truth_players_dir=tmp_path / "ground-truth" / PLAYERS_DIR,
        today=TODAY,
    )
    with pytest.raises(AnalyticsInputError, match="no player bought anything before 2026-03-01"):
        pipeline.train(empty, as_of=dt.date(2026, 3, 1), actor=Actor("test:analytics"))
    shutil.copytree(workspace.models_dir / trained["version"], empty.models_dir / trained["version"])
    with pytest.raises(AnalyticsInputError, match="nobody to score"):
        pipeline.score(empty, as_of=dt.date(2026, 3, 1), actor=Actor("test:analytics"))
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ChurnScore)) == 0
        assert session.scalar(select(func.count()).select_from(ChurnModelRecord)) == 0
    engine.dispose()
