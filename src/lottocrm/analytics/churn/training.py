"""LightGBM training, deterministic: a fixed seed, ``deterministic=True``, row-wise histograms and one
thread, so the same rows give the same model file (and hash) on every run.

One thread, whatever the size: on this shared 2-core machine OpenMP's spinning second thread made a fit
7× slower than one thread under load (200 000 rows: 14.7 s on one thread, 99.7 s on two, load average 16),
and a fixed thread count keeps the model file identical from run to run."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np

from lottocrm.analytics.churn.features import FeatureSpec

SEED = 20_261_122
ROUNDS = 200
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 100,
    "lambda_l2": 1.0,
    "max_bin": 255,
    "cat_smooth": 10.0,
    "seed": SEED,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbosity": -1,
}


def fit(matrix: np.ndarray, churned: np.ndarray, spec: FeatureSpec, *, rounds: int = ROUNDS) -> lgb.Booster:
    data = lgb.Dataset(
        matrix,
        label=np.asarray(churned, dtype=np.float32),
        feature_name=spec.names,
        categorical_feature=spec.categorical,
        params={"max_bin": PARAMS["max_bin"], "verbosity": -1},
        free_raw_data=True,
    )
    return lgb.train(PARAMS, data, num_boost_round=rounds)


# Scoring rows are independent, so two threads cannot change a score; the bench's two-thread run predicted
# 10^6 players in 9.3 s against 44.3 s on one (bench/RESULTS.md, churn section, both under load).
PREDICT_THREADS = 2


def predict(booster: lgb.Booster, matrix: np.ndarray) -> np.ndarray:
    return np.asarray(booster.predict(matrix, num_threads=PREDICT_THREADS), dtype=np.float64)
