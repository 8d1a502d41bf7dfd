"""Game propensity model: LightGBM on player × game rows, trained on an earlier as-of with observed labels.

With as-of date A and horizon h, the model is checked on a time-based holdout: trained on the features at
A − 2h with labels from [A − 2h, A − h), evaluated on the features at A − h with labels from [A − h, A),
per game by ROC-AUC, against the baseline "played it before" (game purchase days > 0). Scores for A come
from the same model refitted on the A − h rows, the latest labels the data holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pyarrow as pa

from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.propensity.features import FEATURES, labelled, player_game_features, sold_games
from lottocrm.analytics.rules.apriori import check_window

DEFAULT_HORIZON_DAYS = 30
MODEL_VERSION = "propensity-lgbm-1"
SMALL_MATRIX_ROWS = 200_000


@dataclass(frozen=True)
class PropensityOptions:
    horizon_days: int = DEFAULT_HORIZON_DAYS
    seed: int = 0
    trees: int = 200
    learning_rate: float = 0.05
    leaves: int = 31
    threads: int = 2

    def __post_init__(self) -> None:
        if self.horizon_days <= 0:
            raise AnalyticsInputError(
                f"--horizon-days must be a positive number of days, got {self.horizon_days}"
            )


@dataclass(frozen=True)
class GameMetric:
    game_id: int
    rows: int
    positives: int
    auc: float | None  # None: the holdout has only players who all did, or all did not, play the game
    baseline_auc: float | None


@dataclass
class PropensityFit:
    as_of: dt.date
    train_as_of: dt.date
    holdout_as_of: dt.date
    horizon_days: int
    games: list[int]
    train_rows: int
    holdout_rows: int
    auc: float | None
    baseline_auc: float | None
    per_game: list[GameMetric]
    model: object = field(repr=False)

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(matrix)[:, 1]  # type: ignore[attr-defined]


class ScoringModel(Protocol):
    """What scoring needs: the as-of date and games it was fitted for, and probabilities for a matrix."""

    as_of: dt.date
    games: list[int]

    def probabilities(self, matrix: np.ndarray) -> np.ndarray: ...


def _matrix(table: pa.Table) -> np.ndarray:
    return np.column_stack(
        [table.column(name).to_numpy(zero_copy_only=False).astype(np.float64) for name in FEATURES]
    )


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if labels.min() == labels.max():
        return None
    return float(roc_auc_score(labels, scores))


def _classifier(options: PropensityOptions, rows: int):  # type: ignore[no-untyped-def]
    import lightgbm

    # OpenMP threads spin while they wait; on a small matrix and a busy machine one thread is ~10x faster.
    threads = 1 if rows < SMALL_MATRIX_ROWS else options.threads

    return lightgbm.LGBMClassifier(
        n_estimators=options.trees,
        learning_rate=options.learning_rate,
        num_leaves=options.leaves,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.9,
        random_state=options.seed,
        n_jobs=threads,
        verbose=-1,
    )


def _train(rows: pa.Table, options: PropensityOptions):  # type: ignore[no-untyped-def]
    labels = rows.column("label").to_numpy()
    if labels.min() == labels.max():
        raise AnalyticsInputError(
            "the training window has no variety to learn from: every player × game row has the same label"
        )
    model = _classifier(options, rows.num_rows)
    # game_id is a category: a game's base rate is not an ordered quantity.
    model.fit(_matrix(rows), labels, categorical_feature=[FEATURES.index("game_id")])
    return model


def fit_propensity(compute: LakeCompute, *, as_of: dt.date, options: PropensityOptions) -> PropensityFit:
    check_window(options.horizon_days)
    horizon = dt.timedelta(days=options.horizon_days)
    holdout_as_of, train_as_of = as_of - horizon, as_of - 2 * horizon
    compute.check_tickets_before(as_of)
    compute.check_tickets_before(
        train_as_of, what=f"training date (as-of − 2 × {options.horizon_days} horizon days)"
    )
    games = sold_games(compute, before=holdout_as_of)
    train = compute.to_arrow(
        labelled(compute, as_of=train_as_of, horizon_days=options.horizon_days, games=games).order_by(
            "player_id", "game_id"
        )
    )
    holdout = compute.to_arrow(
        labelled(compute, as_of=holdout_as_of, horizon_days=options.horizon_days, games=games).order_by(
            "player_id", "game_id"
        )
    )
    model = _train(train, options)
    scores = model.predict_proba(_matrix(holdout))[:, 1]
    labels = holdout.column("label").to_numpy()
    played = holdout.column("game_days").to_numpy() > 0
    game_ids = holdout.column("game_id").to_numpy()
    per_game = []
    for game in games:
        rows = game_ids == game
        per_game.append(
            GameMetric(
                game_id=game,
                rows=int(rows.sum()),
                positives=int(labels[rows].sum()),
                auc=_auc(labels[rows], scores[rows]) if rows.any() else None,
                baseline_auc=_auc(labels[rows], played[rows].astype(float)) if rows.any() else None,
            )
        )
    final = _train(holdout, options)
    return PropensityFit(
        as_of=as_of,
        train_as_of=train_as_of,
        holdout_as_of=holdout_as_of,
        horizon_days=options.horizon_days,
        games=games,
        train_rows=train.num_rows,
        holdout_rows=holdout.num_rows,
        auc=_auc(labels, scores),
        baseline_auc=_auc(labels, played.astype(float)),
        per_game=per_game,
        model=final,
    )


PROPENSITY_SCHEMA = pa.schema(
    [
        pa.field("player_id", pa.int64()),
        pa.field("game_id", pa.int32()),
        pa.field("probability", pa.float64()),
        pa.field("played_before", pa.bool_()),
    ]
)


def score_propensity(compute: LakeCompute, model: ScoringModel) -> pa.Table:
    """Every buyer × game at the model's as-of date: the probability to play the game within the horizon."""
    features = compute.to_arrow(
        player_game_features(compute, as_of=model.as_of, games=model.games).order_by("player_id", "game_id")
    )
    probability = model.probabilities(_matrix(features))
    return pa.table(
        {
            "player_id": features.column("player_id"),
            "game_id": features.column("game_id"),
            "probability": pa.array(probability, pa.float64()),
            "played_before": pa.array(features.column("game_days").to_numpy() > 0),
        },
        schema=PROPENSITY_SCHEMA,
    )
