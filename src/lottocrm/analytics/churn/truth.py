"""The churn score against the simulator's ground truth: its per-player Parquet files, in a folder the
caller names (the simulator owns that layout; imported data has no truth).

The simulator draws each buyer's purchase rate λ (occasions per week) and dropout probability p (after each
repeat occasion, BG/NBD). Per scored player we know from the truth whether they had really dropped out
(``lapsed_at`` before the as-of date) and, from λ and p with the observed history, the true probability of
being alive:

    P(alive) = 1 for a player with no repeat purchase yet (dropout only follows a repeat), else
    (1 − p)·e^(−λΔ) / ((1 − p)·e^(−λΔ) + p), Δ = weeks since the last purchase;

and the true probability of no purchase in the window, 1 − P(alive)·(1 − e^(−λ·window)): the best score any
model could give from these parameters (the oracle). Δ and the window are counted in calendar weeks, while the
simulator runs λ in a seasonal "operational" time, so the oracle is a close approximation, not exact.
Repeat purchases are taken as purchase days − 1 (two occasions on one day count once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sklearn.metrics import brier_score_loss, roc_auc_score

TRUTH_COLUMNS = ["player_id", "lapsed_at", "purchase_rate_per_week", "dropout_probability"]


def load_truth(players_dir: Path | None) -> pa.Table | None:
    """The truth columns churn needs from the Parquet files in ``players_dir``, or None when there are none
    (the data was imported, not simulated)."""
    files = sorted(players_dir.glob("*.parquet")) if players_dir is not None else []
    if not files:
        return None
    return ds.dataset([str(f) for f in files], format="parquet", schema=pq.read_schema(files[0])).to_table(
        columns=TRUTH_COLUMNS
    )


def _auc(labels: np.ndarray, score: np.ndarray) -> float | None:
    if labels.all() or not labels.any():
        return None
    return float(roc_auc_score(labels, score))


def compare(
    truth: pa.Table,
    *,
    player_ids: np.ndarray,
    frequency: np.ndarray,
    recency_days: np.ndarray,
    cutoff_us: int,
    window_days: int,
    churned: np.ndarray,
    scores: dict[str, np.ndarray],
) -> dict[str, Any]:
    """AUCs of each score against who had really dropped out; the oracle's figures on the observed label."""
    positions = pc.index_in(pa.array(player_ids), value_set=truth["player_id"]).to_numpy(zero_copy_only=False)
    known = ~np.isnan(positions.astype(np.float64))
    rows = truth.take(pa.array(positions[known].astype(np.int64)))
    lapsed_us = pc.cast(rows["lapsed_at"], pa.int64()).to_numpy(zero_copy_only=False)
    lapsed_us = np.asarray(lapsed_us, dtype=np.float64)
    dropped_out = np.nan_to_num(lapsed_us, nan=np.inf) < cutoff_us
    rate = rows["purchase_rate_per_week"].to_numpy()
    dropout = rows["dropout_probability"].to_numpy()
    repeats = frequency[known] - 1
    stay = (1 - dropout) * np.exp(-rate * recency_days[known] / 7.0)
    p_alive = np.where(repeats > 0, stay / (stay + dropout), 1.0)
    oracle = 1.0 - p_alive * (1.0 - np.exp(-rate * window_days / 7.0))
    observed = churned[known]
    report: dict[str, Any] = {
        "players_with_truth": int(known.sum()),
        "dropped_out_share": float(dropped_out.mean()),
        "auc_vs_dropped_out": {name: _auc(dropped_out, score[known]) for name, score in scores.items()},
        "true_p_alive_auc_vs_dropped_out": _auc(dropped_out, 1.0 - p_alive),
        "oracle_roc_auc": _auc(observed, oracle),
        "oracle_brier": float(brier_score_loss(observed, oracle)),
    }
    report["auc_vs_dropped_out"]["true_p_alive"] = report.pop("true_p_alive_auc_vs_dropped_out")
    return report
