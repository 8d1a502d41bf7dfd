"""LightGBM training, deterministic: a fixed seed, ``deterministic=True``, row-wise histograms and a thread
count fixed by the row count, so the same rows give the same model file (and hash) on every run.

Small sets train on one thread: OpenMP's second thread costs more than it brings below ~10^5 rows, and on a
shared, busy machine its spinning made a 1 500-row fit five times slower than one thread."""

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
    "verbosity": -1,
}


MAX_THREADS = 2
ONE_THREAD_BELOW_ROWS = 100_000


def threads_for(rows: int) -> int:
    return 1 if rows < ONE_THREAD_BELOW_ROWS else MAX_THREADS


def fit(matrix: np.ndarray, churned: np.ndarray, spec: FeatureSpec, *, rounds: int = ROUNDS) -> lgb.Booster:
    data = lgb.Dataset(
        matrix,
        label=np.asarray(churned, dtype=np.float32),
        feature_name=spec.names,
        categorical_feature=spec.categorical,
        params={"max_bin": PARAMS["max_bin"], "verbosity": -1},
        free_raw_data=True,
    )
    params = {**PARAMS, "num_threads": threads_for(matrix.shape[0])}
    return lgb.train(params, data, num_boost_round=rounds)


def predict(booster: lgb.Booster, matrix: np.ndarray) -> np.ndarray:
    return np.asarray(booster.predict(matrix, num_threads=threads_for(matrix.shape[0])), dtype=np.float64)
