"""Predicted against actual purchases in a holdout period: the check that a fitted model forecasts well."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lottocrm.analytics.clv.predict import PurchaseParams, expected_purchases

TOP_BUCKET = 7


@dataclass(frozen=True)
class HoldoutBucket:
    label: str
    customers: int
    predicted_mean: float
    actual_mean: float


@dataclass(frozen=True)
class HoldoutComparison:
    weeks: float
    customers: int
    predicted_total: float
    actual_total: int
    buckets: tuple[HoldoutBucket, ...]


def compare(params: PurchaseParams, summary: pd.DataFrame, *, weeks: float) -> HoldoutComparison:
    """Totals, and means by calibration frequency x = 0 … 6 and 7+ (the conditional-expectation plot)."""
    predicted = expected_purchases(params, t=weeks, x=summary["x"], t_x=summary["t_x"], T=summary["T"])
    actual = summary["x_holdout"].to_numpy()
    bucket = np.minimum(summary["x"].to_numpy(), TOP_BUCKET)
    buckets = []
    for value in np.unique(bucket):
        members = bucket == value
        buckets.append(
            HoldoutBucket(
                label=f"{TOP_BUCKET}+" if value == TOP_BUCKET else str(int(value)),
                customers=int(members.sum()),
                predicted_mean=float(predicted[members].mean()),
                actual_mean=float(actual[members].mean()),
            )
        )
    return HoldoutComparison(
        weeks=weeks,
        customers=len(summary),
        predicted_total=float(predicted.sum()),
        actual_total=int(actual.sum()),
        buckets=tuple(buckets),
    )
