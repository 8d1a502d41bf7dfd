"""CUPED: the same metric over a pre-period explains part of each player's noise; subtract it.

θ = cov(Y, X)/var(X) over all players of both arms (pooled, as gbstats computes it), X̄ the pooled
pre-period mean, and each player's adjusted outcome Y' = Y − θ(X − X̄). Assignment is random, so the arms'
pre-period means differ only by chance and the adjusted difference estimates the same effect; its variance
shrinks by about ρ² (ρ the correlation of X and Y). Lottery play is habitual, so spend before and after
assignment correlate and the gain is worth having; on a metric the pre-period does not predict, θ ≈ 0 and
nothing changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from lottocrm.marketing.results import _checks
from lottocrm.marketing.results._json import JsonResult
from lottocrm.marketing.results.arms import Moments


@dataclass(frozen=True)
class CupedAdjustment(JsonResult):
    """Adjusted moments per arm, ready for :func:`lift.compare`, and what the adjustment gained."""

    theta: float
    pre_period_mean: float
    correlation: float
    treatment: Moments
    control: Moments
    unadjusted_treatment: Moments
    unadjusted_control: Moments
    variance_reduction: float
    """1 − Var(adjusted Δ)/Var(unadjusted Δ): the share of the difference's variance CUPED removed."""


def cuped(*, outcome: ArrayLike, pre_period: ArrayLike, treated: ArrayLike) -> CupedAdjustment:
    """Adjust ``outcome`` (kopecks or 0/1 per player) by ``pre_period``, the same metric before assignment."""
    y = _metric(outcome, name="outcome")
    x = _metric(pre_period, name="pre_period")
    in_treatment = _checks.flags(treated, name="treated")
    _checks.same_length(outcome=y, pre_period=x, treated=in_treatment)
    x_mean = float(x.mean()) if len(x) else 0.0
    x_centred = x - x_mean
    y_centred = y - (float(y.mean()) if len(y) else 0.0)
    spread = float(np.dot(x_centred, x_centred))
    theta = float(np.dot(x_centred, y_centred)) / spread if spread > 0 else 0.0
    outcome_spread = float(np.dot(y_centred, y_centred))
    correlation = theta * math.sqrt(spread / outcome_spread) if spread > 0 and outcome_spread > 0 else 0.0
    adjusted = y - theta * x_centred
    moments = {}
    for arm, rows in (("treatment", in_treatment), ("control", ~in_treatment)):
        if not rows.any():
            raise ValueError(f"the {arm} arm is empty")
        moments[arm] = (Moments.of(adjusted[rows], name=f"the {arm} arm"), Moments.of(y[rows], name=arm))
    (treatment, raw_treatment), (control, raw_control) = moments["treatment"], moments["control"]
    raw = raw_treatment.variance / raw_treatment.n + raw_control.variance / raw_control.n
    kept = treatment.variance / treatment.n + control.variance / control.n
    return CupedAdjustment(
        theta=theta,
        pre_period_mean=x_mean,
        correlation=correlation,
        treatment=treatment,
        control=control,
        unadjusted_treatment=raw_treatment,
        unadjusted_control=raw_control,
        variance_reduction=1.0 - kept / raw if raw > 0 else 0.0,
    )


def _metric(values: ArrayLike, *, name: str) -> np.ndarray:
    array = _checks.vector(values, name=name)
    if array.dtype == np.bool_:
        return array.astype(np.float64)
    return _checks.amounts(array, name=name).astype(np.float64)
