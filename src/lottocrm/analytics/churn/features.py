"""The model's inputs, taken from the player analytical record at the as-of date.

Only buyers are modelled: a player who never bought cannot stop buying (onboarding, not churn, is their
question). The features are the record's numbers (a column added to the record is a feature of the next
model trained) plus the derived ones below; the list travels with the model in its manifest, categories
included, so a score is computed from exactly the columns and category codes the model was trained on.

Derived features (computed here because the record keeps dates, not day counts):

- ``days_since_last_win``: as-of day minus the last win's day, null without a win;
- ``purchase_days_per_week``: purchase days per week of tenure (a player's own buying rate);
- ``recency_over_interval``: days since the last purchase over the player's mean gap between purchases — how
  overdue the next purchase is, the quantity BG/NBD's "probability alive" turns on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.analytics.mart.record import COLUMNS as RECORD_COLUMNS
from lottocrm.analytics.time import day_number

DERIVED_FEATURES = ("days_since_last_win", "purchase_days_per_week", "recency_over_interval")
CATEGORICAL_FEATURES = ("region", "favourite_game_id", "main_channel")
# Every number the record holds, in the record's order: not the id, not the categories, and not the dates
# (``*_on``), which a model can only use as day counts (``days_since_last_win`` below).
RECORD_FEATURES = tuple(
    column
    for column in RECORD_COLUMNS
    if column != "player_id" and column not in CATEGORICAL_FEATURES and not column.endswith("_on")
)
# The record columns the features need: what a scoring pass reads from the mart.
INPUT_COLUMNS = ("player_id", *RECORD_FEATURES, "last_win_on", *CATEGORICAL_FEATURES)


def buyers(record: pa.Table) -> pa.Table:
    """Players with at least one purchase before the as-of date: the modelled population."""
    return record.filter(pc.greater(record["frequency"], 0))


def _floats(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if pa.types.is_date(column.type):
        column = pc.cast(column, pa.int32())
    return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _category_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    return pc.cast(column, pa.string())


@dataclass(frozen=True)
class FeatureSpec:
    """Feature names in model order and, per categorical feature, its categories (code = list position)."""

    numeric: tuple[str, ...] = (*RECORD_FEATURES, *DERIVED_FEATURES)
    categories: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def learn(cls, record: pa.Table) -> FeatureSpec:
        """Categories seen in the training record, sorted so the codes do not depend on row order."""
        learnt = {}
        for name in CATEGORICAL_FEATURES:
            values = pc.unique(_category_text(record[name]).drop_null()).to_pylist()
            learnt[name] = sorted(values)
        return cls(categories=learnt)

    @property
    def names(self) -> list[str]:
        return [*self.numeric, *CATEGORICAL_FEATURES]

    @property
    def categorical(self) -> list[str]:
        return list(CATEGORICAL_FEATURES)

    def describe(self) -> dict[str, Any]:
        return {"names": self.names, "numeric": list(self.numeric), "categorical": self.categories}

    @classmethod
    def from_manifest(cls, features: dict[str, Any]) -> FeatureSpec:
        return cls(numeric=tuple(features["numeric"]), categories=dict(features["categorical"]))

    def matrix(self, record: pa.Table | pa.RecordBatch, *, as_of: dt.date) -> np.ndarray:
        """Rows × features as float32; nulls and categories unseen in training are NaN (missing)."""
        columns: dict[str, np.ndarray] = {name: _floats(record[name]) for name in RECORD_FEATURES}
        last_win = _floats(record["last_win_on"])
        columns["days_since_last_win"] = day_number(as_of) - last_win
        weeks = np.maximum(columns["tenure_days"], 1.0) / 7.0
        columns["purchase_days_per_week"] = columns["frequency"] / weeks
        with np.errstate(divide="ignore", invalid="ignore"):
            overdue = columns["recency_days"] / columns["interval_mean_days"]
        columns["recency_over_interval"] = np.where(np.isfinite(overdue), overdue, np.nan)
        out = np.empty((record.num_rows, len(self.names)), dtype=np.float32)
        for place, name in enumerate(self.numeric):
            out[:, place] = columns[name]
        for offset, name in enumerate(CATEGORICAL_FEATURES):
            known = pa.array(self.categories.get(name, []), pa.string())
            codes = pc.index_in(_category_text(record[name]), value_set=known)
            out[:, len(self.numeric) + offset] = _floats(codes)
        return out
