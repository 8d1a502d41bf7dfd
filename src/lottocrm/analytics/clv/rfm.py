"""Validated (x, t_x, T) arrays, with duplicate customers collapsed into weights.

Lottery summaries are measured in whole days, so many players share a row — above all the one-off buyers,
whose row is (0, 0, T). Evaluating each distinct row once, weighted by how many players have it, makes a fit
on millions of players cost what a fit on the distinct rows costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from lottocrm.analytics.errors import AnalyticsInputError


@dataclass(frozen=True)
class Rfm:
    x: NDArray[np.float64]
    t_x: NDArray[np.float64]
    T: NDArray[np.float64]
    weight: NDArray[np.float64]

    @property
    def customers(self) -> float:
        return float(self.weight.sum())

    def sample(self, rows: int, *, seed: int) -> Rfm:
        """Distinct rows drawn uniformly with their weights: the weighted log-likelihood stays unbiased."""
        if rows >= self.x.size:
            return self
        chosen = np.random.default_rng(seed).choice(self.x.size, rows, replace=False)
        return Rfm(x=self.x[chosen], t_x=self.t_x[chosen], T=self.T[chosen], weight=self.weight[chosen])


def as_arrays(*, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """Float arrays of equal length, checked for the invariants every model relies on."""
    x_, t_x_, T_ = (np.asarray(v, dtype=np.float64).ravel() for v in (x, t_x, T))
    if not (x_.size == t_x_.size == T_.size):
        raise AnalyticsInputError(f"x, t_x and T differ in length ({x_.size}, {t_x_.size}, {T_.size})")
    if not (np.isfinite(x_).all() and np.isfinite(t_x_).all() and np.isfinite(T_).all()):
        raise AnalyticsInputError("x, t_x and T must be finite numbers")
    if (x_ < 0).any() or (x_ != np.round(x_)).any():
        raise AnalyticsInputError("x (repeat transactions) must be whole numbers ≥ 0")
    if (t_x_ < 0).any() or (t_x_ > T_).any():
        raise AnalyticsInputError("every customer needs 0 ≤ t_x ≤ T")
    if ((x_ == 0) & (t_x_ != 0)).any():
        raise AnalyticsInputError("customers without repeat transactions must have t_x = 0")
    return x_, t_x_, T_


def collapse(*, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Rfm:
    """Distinct (x, t_x, T) rows with their counts as weights; refuses data no model can be fitted to."""
    x_, t_x_, T_ = as_arrays(x=x, t_x=t_x, T=T)
    if x_.size == 0:
        raise AnalyticsInputError("no customers to fit")
    if not (x_ > 0).any():
        raise AnalyticsInputError(
            "no customer made a repeat purchase, so purchase rate and dropout cannot be told apart; "
            "choose a later calibration end or load more history"
        )
    # A hash group-by: several times faster than np.unique(axis=0), which sorts rows as structured records.
    counts = pd.DataFrame({"x": x_, "t_x": t_x_, "T": T_}).groupby(["x", "t_x", "T"], sort=False).size()
    rows = counts.index
    return Rfm(
        x=rows.get_level_values("x").to_numpy(dtype=np.float64),
        t_x=rows.get_level_values("t_x").to_numpy(dtype=np.float64),
        T=rows.get_level_values("T").to_numpy(dtype=np.float64),
        weight=counts.to_numpy(dtype=np.float64),
    )
