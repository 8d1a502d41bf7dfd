"""Propensity features worked out by hand, the model against "played it before" on synthetic players, and
the model's artifact (stored with its manifest, refused once tampered with)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pyarrow as pa
import pytest

from helpers.propensity_synthetic import write_synthetic_lake
from lottocrm.analytics.artifacts import MANIFEST_FILE, MODEL_FILE
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.propensity.artifacts import STORE, PropensityArtifactError, load_model, save_fit
from lottocrm.analytics.propensity.features import FEATURES, labelled, sold_games
from lottocrm.analytics.propensity.model import PropensityOptions, fit_propensity, score_propensity
from lottocrm.lake.schemas import TICKETS
from lottocrm.lake.store import Lake

MOSCOW = dt.timezone(dt.timedelta(hours=3))
AS_OF = dt.date(2026, 6, 1)

# (player, game, days relative to the as-of date, price)
SALES = [
    (1, 1, -5, 10_000),
    (1, 1, -5, 10_000),
    (1, 1, -40, 30_000),
    (1, 2, -100, 50_000),
    (1, 3, 3, 10_000),  # after the as-of date: a label, not a feature
    (2, 2, -10, 20_000),
    (2, 3, -200, 5_000),
    (2, 2, 40, 20_000),  # 40 days after: outside a 30-day horizon
    (None, 1, -1, 10_000),  # anonymous: never counts
]


def _write(lake: Lake) -> None:
    n = len(SALES)
    lake.append(
        "tickets",
        pa.table(
            {
                "ticket_id": list(range(1, n + 1)),
                "player_id": [s[0] for s in SALES],
                "game_id": [s[1] for s in SALES],
                "draw_id": [None] * n,
                "channel": ["app"] * n,
                "pos_id": [None] * n,
                "region": [None] * n,
                "price_kopecks": [s[3] for s in SALES],
                "sold_at": [
                    dt.datetime.combine(AS_OF + dt.timedelta(days=s[2]), dt.time(12), tzinfo=MOSCOW)
                    for s in SALES
                ],
            },
            schema=TICKETS.schema,
        ),
        batch_id="hand",
    )


def test_features_and_labels_by_hand(lake: Lake) -> None:
    _write(lake)
    with LakeCompute(lake, timezone="Europe/Moscow") as engine:
        games = sold_games(engine, before=AS_OF)
        rows = engine.to_arrow(labelled(engine, as_of=AS_OF, horizon_days=30, games=games)).to_pylist()
        longer = engine.to_arrow(labelled(engine, as_of=AS_OF, horizon_days=60, games=games)).to_pylist()
    assert games == [1, 2, 3]
    by_key = {(r["player_id"], r["game_id"]): r for r in rows}
    assert len(by_key) == 6

    regular = by_key[(1, 1)]
    assert (regular["game_recency_days"], regular["game_days"], regular["game_days_30"]) == (5, 2, 1)
    assert (regular["game_days_90"], regular["game_spend_kopecks"]) == (2, 50_000)
    assert regular["game_share"] == pytest.approx(0.5)
    # Buyers of the last 90 days: players 1 and 2; game 1 was bought by player 1 only.
    assert regular["game_popularity_90"] == pytest.approx(0.5)
    assert (regular["recency_days"], regular["purchase_days"], regular["purchase_days_90"]) == (5, 3, 2)
    assert (regular["spend_kopecks"], regular["spend_90_kopecks"]) == (100_000, 50_000)
    assert (regular["games_played"], regular["games_played_90"]) == (2, 1)

    old = by_key[(1, 2)]
    assert (old["game_recency_days"], old["game_days"], old["game_days_90"]) == (100, 1, 0)
    never = by_key[(1, 3)]
    assert never["game_days"] == 0 and never["game_recency_days"] is None
    assert by_key[(2, 3)]["game_popularity_90"] == 0.0

    labels = {key: r["label"] for key, r in by_key.items()}
    assert labels == {(1, 1): 0, (1, 2): 0, (1, 3): 1, (2, 1): 0, (2, 2): 0, (2, 3): 0}
    assert {(r["player_id"], r["game_id"]) for r in longer if r["label"]} == {(1, 3), (2, 2)}


@pytest.fixture(scope="module")
def synthetic_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("propensity") / "lake")
    write_synthetic_lake(lake, players=1_200, start=AS_OF - dt.timedelta(days=365), days=365, seed=7)
    return lake


def test_model_beats_played_before_on_every_game(synthetic_lake: Lake) -> None:
    with LakeCompute(synthetic_lake, timezone="Europe/Moscow") as engine:
        fit = fit_propensity(engine, as_of=AS_OF, options=PropensityOptions(trees=60))
        scores = score_propensity(engine, fit)
    assert (fit.train_as_of, fit.holdout_as_of) == (
        AS_OF - dt.timedelta(days=60),
        AS_OF - dt.timedelta(days=30),
    )
    assert fit.games == list(range(1, 9))
    assert fit.auc is not None and fit.baseline_auc is not None
    assert fit.auc > fit.baseline_auc + 0.05
    for metric in fit.per_game:
        assert metric.positives > 0
        assert metric.auc is not None and metric.baseline_auc is not None
        assert metric.auc > metric.baseline_auc, metric
    probability = scores.column("probability").to_numpy()
    assert scores.num_rows == 8 * len(set(scores.column("player_id").to_pylist()))
    assert ((probability > 0) & (probability < 1)).all()
    # Players who played a game in the last month are likelier to play it next month than those who never did.
    played = scores.column("played_before").to_numpy()
    assert probability[played].mean() > 2 * probability[~played].mean()
    assert not math.isnan(probability.sum())


@pytest.mark.parametrize("horizon", [0, -7])
def test_a_horizon_of_no_days_is_refused(horizon: int) -> None:
    with pytest.raises(AnalyticsInputError, match="--horizon-days must be a positive number of days"):
        PropensityOptions(horizon_days=horizon)


def test_training_needs_tickets_before_as_of_minus_two_horizons(lake: Lake) -> None:
    _write(lake)  # first ticket 200 days before the as-of date
    with (
        LakeCompute(lake, timezone="Europe/Moscow") as engine,
        pytest.raises(
            AnalyticsInputError,
            match=r"training date \(as-of − 2 × 120 horizon days\) 2025-10-04 has no tickets",
        ),
    ):
        fit_propensity(engine, as_of=AS_OF, options=PropensityOptions(horizon_days=120))


def test_an_as_of_date_before_any_ticket_is_refused(lake: Lake) -> None:
    _write(lake)
    with (
        LakeCompute(lake, timezone="Europe/Moscow") as engine,
        pytest.raises(AnalyticsInputError, match="as-of date 2025-01-01 has no tickets before it"),
    ):
        fit_propensity(engine, as_of=dt.date(2025, 1, 1), options=PropensityOptions())


def test_the_model_is_stored_as_a_checked_artifact_and_a_tampered_one_is_refused(
    synthetic_lake: Lake, tmp_path: Path
) -> None:
    with LakeCompute(synthetic_lake, timezone="Europe/Moscow") as engine:
        fit = fit_propensity(engine, as_of=AS_OF, options=PropensityOptions(trees=20))
        saved = save_fit(tmp_path, fit, created_at=dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC))
        loaded = load_model(tmp_path)
        # The model read back from disk scores exactly like the one just fitted.
        assert score_propensity(engine, loaded).equals(score_propensity(engine, fit))
    assert (loaded.version, loaded.as_of, loaded.games) == (saved.version, AS_OF, list(range(1, 9)))
    manifest = json.loads((STORE.models_dir(tmp_path) / saved.version / MANIFEST_FILE).read_text("utf-8"))
    assert manifest["features"] == list(FEATURES)
    assert manifest["training_window"] == {
        "features_as_of": "2026-05-02",
        "labels_from": "2026-05-02",
        "labels_to": "2026-06-01",
        "horizon_days": 30,
    }
    assert manifest["holdout_check"]["auc"] == fit.auc and len(manifest["holdout_check"]["per_game"]) == 8

    model_file = STORE.models_dir(tmp_path) / saved.version / MODEL_FILE
    model_file.write_text(model_file.read_text("utf-8").replace("num_leaves=", "num_leaves= ", 1), "utf-8")
    with pytest.raises(PropensityArtifactError, match="SHA-256 .* changed after training, refusing to load"):
        load_model(tmp_path, saved.version)
    with pytest.raises(PropensityArtifactError, match="unknown propensity model version 'nope'"):
        load_model(tmp_path, "nope")
    with pytest.raises(PropensityArtifactError, match="no propensity model in .*lottocrm propensity build"):
        load_model(tmp_path / "elsewhere")


def test_a_model_trained_on_other_features_is_refused(synthetic_lake: Lake, tmp_path: Path) -> None:
    with LakeCompute(synthetic_lake, timezone="Europe/Moscow") as engine:
        fit = fit_propensity(engine, as_of=AS_OF, options=PropensityOptions(trees=5))
    saved = save_fit(tmp_path, fit, created_at=dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC))
    artifact = STORE.load(STORE.models_dir(tmp_path), saved.version)
    bookkeeping = {"version", "created_at", "model_file", "model_sha256"}
    manifest = {key: value for key, value in artifact.manifest.items() if key not in bookkeeping}
    STORE.save(
        STORE.models_dir(tmp_path),
        model_text=artifact.model_text,
        manifest={**manifest, "features": ["recency_days"]},
        created_at=dt.datetime(2026, 6, 2, 12, tzinfo=dt.UTC),
    )
    with pytest.raises(PropensityArtifactError, match="trained on other features"):
        load_model(tmp_path)
