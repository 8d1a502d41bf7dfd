"""Sample-ratio check: do the arms hold the shares the assignment intended?

A campaign's control is drawn by a hash at a fixed share; a mismatch (players lost from one arm by a filter
applied after assignment, a bug in the join that brings responses) biases every lift, so the report raises it
before any figure is trusted. Pearson's χ² of the arm counts against the intended weights, k − 1 degrees of
freedom, alert at p < 0.001 — gbstats ``check_srm``. Unlike gbstats, an arm with weight 0 is refused rather
than skipped: the campaign's own design says every arm it names has a share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from lottocrm.marketing.results import _checks
from lottocrm.marketing.results._json import JsonResult

ALERT_BELOW = 0.001


@dataclass(frozen=True)
class SampleRatioCheck(JsonResult):
    counts: tuple[int, ...]
    weights: tuple[float, ...]
    expected: tuple[float, ...]
    chi_square: float
    degrees_of_freedom: int
    p_value: float
    threshold: float
    alert: bool


def check_sample_ratio(
    counts: Sequence[int], weights: Sequence[float], *, threshold: float = ALERT_BELOW
) -> SampleRatioCheck:
    """χ² of ``counts`` (players per arm) against ``weights`` (intended shares summing to 1)."""
    if len(counts) < 2:
        raise ValueError(f"a sample-ratio check needs at least 2 arms, got {len(counts)}")
    observed = tuple(_checks.count(value, name=f"arm {index} count") for index, value in enumerate(counts))
    shares = _checks.weights(weights, name="weights", arms=len(observed))
    threshold = _checks.probability(threshold, name="threshold")
    total = sum(observed)
    if total == 0:
        raise ValueError("a sample-ratio check needs players: every arm count is 0")
    expected = np.asarray(shares) * total
    chi_square = float(np.sum((np.asarray(observed) - expected) ** 2 / expected))
    dof = len(observed) - 1
    p_value = float(stats.chi2.sf(chi_square, dof))
    return SampleRatioCheck(
        counts=observed,
        weights=shares,
        expected=tuple(float(value) for value in expected),
        chi_square=chi_square,
        degrees_of_freedom=dof,
        p_value=p_value,
        threshold=threshold,
        alert=p_value < threshold,
    )
