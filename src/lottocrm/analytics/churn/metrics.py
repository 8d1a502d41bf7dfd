"""How good a churn score is, in the terms a CRM team reads, and the recency-only baseline it must beat.

- ROC-AUC: chance a random churner is ranked above a random stayer;
- PR-AUC (average precision): precision over the whole recall range, honest when churners are few or many;
- top-decile lift: churn rate in the 10 % scored riskiest over the overall rate — what a retention campaign
  aimed at one player in ten gains over aiming at random;
- calibration: Brier score and a reliability table (mean predicted against observed rate per equal-count
  decile of the score), because a retention budget is planned from the probabilities, not only the ranks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from lottocrm.analytics.errors import AnalyticsInputError

DECILES = 10


def _check_both_classes(churned: np.ndarray, what: str) -> None:
    if churned.size == 0:
        raise AnalyticsInputError(
            f"{what}: no players who bought before the as-of date, so nothing to evaluate"
        )
    if churned.all() or not churned.any():
        kind = "churned" if churned.all() else "kept buying"
        raise AnalyticsInputError(
            f"{what}: all {churned.size} players {kind} in the window, so there is nothing to tell apart; "
            "choose another as-of date or window"
        )


def _deciles(probability: np.ndarray) -> list[np.ndarray]:
    """Row indices in ten equal-count groups, riskiest first (stable, so ties keep row order)."""
    order = np.argsort(-probability, kind="stable")
    return [part for part in np.array_split(order, DECILES) if part.size]


def top_decile_lift(churned: np.ndarray, probability: np.ndarray) -> float:
    top = _deciles(probability)[0]
    return float(churned[top].mean() / churned.mean())


def reliability(churned: np.ndarray, probability: np.ndarray) -> list[dict[str, Any]]:
    return [
        {
            "decile": place,
            "players": int(part.size),
            "mean_predicted": float(probability[part].mean()),
            "observed_rate": float(churned[part].mean()),
        }
        for place, part in enumerate(_deciles(probability), start=1)
    ]


def evaluate(churned: np.ndarray, probability: np.ndarray, *, what: str = "evaluation") -> dict[str, Any]:
    churned = np.asarray(churned, dtype=bool)
    probability = np.asarray(probability, dtype=np.float64)
    _check_both_classes(churned, what)
    return {
        "players": int(churned.size),
        "churn_rate": float(churned.mean()),
        "roc_auc": float(roc_auc_score(churned, probability)),
        "pr_auc": float(average_precision_score(churned, probability)),
        "top_decile_lift": top_decile_lift(churned, probability),
        "brier": float(brier_score_loss(churned, probability)),
        "reliability": reliability(churned, probability),
    }


class RecencyBaseline:
    """Logistic regression on log(1 + days since the last purchase) alone: the rule of thumb to beat."""

    def __init__(self) -> None:
        self._model = LogisticRegression()

    @staticmethod
    def _inputs(recency_days: np.ndarray) -> np.ndarray:
        return np.log1p(np.asarray(recency_days, dtype=np.float64)).reshape(-1, 1)

    def fit(self, recency_days: np.ndarray, churned: np.ndarray) -> RecencyBaseline:
        self._model.fit(self._inputs(recency_days), np.asarray(churned, dtype=bool))
        return self

    def predict(self, recency_days: np.ndarray) -> np.ndarray:
        return self._model.predict_proba(self._inputs(recency_days))[:, 1]
