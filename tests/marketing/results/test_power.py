"""Minimum detectable effect: the formula written out with statistics.NormalDist, round trips through the
control size, and a simulation in which an effect of exactly the MDE is found ~80 % of the time."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from lottocrm.marketing.results import (
    Moments,
    compare,
    control_size_for,
    control_size_within,
    minimum_detectable_effect,
)


def test_the_mde_of_a_rate_is_the_textbook_formula() -> None:
    plan = minimum_detectable_effect(n_treatment=630_000, n_control=70_000, baseline_mean=0.05)
    z = NormalDist().inv_cdf
    expected = (z(0.975) + z(0.8)) * math.sqrt(0.05 * 0.95 * (1 / 630_000 + 1 / 70_000))
    assert plan.mde_absolute == pytest.approx(expected, rel=1e-12)
    assert plan.mde_relative == pytest.approx(expected / 0.05, rel=1e-12)
    assert plan.measurable is None


def test_a_control_too_small_for_the_expected_effect_is_flagged() -> None:
    """1 % control of 50 000 players at a 5 % response cannot see a +5 % relative lift; 50 % can see +40 %."""
    small = minimum_detectable_effect(
        n_treatment=49_500, n_control=500, baseline_mean=0.05, expected_relative=0.05
    )
    assert small.measurable is False and small.expected_effect == pytest.approx(0.0025)
    large = minimum_detectable_effect(
        n_treatment=25_000, n_control=25_000, baseline_mean=0.05, expected_relative=0.4
    )
    assert large.measurable is True


def test_spend_uses_the_given_variance() -> None:
    plan = minimum_detectable_effect(
        n_treatment=9_000,
        n_control=1_000,
        baseline_mean=30_000.0,
        baseline_variance=4.0e9,
        expected_absolute=5_000,
    )
    z = NormalDist().inv_cdf
    assert plan.mde_absolute == pytest.approx(
        (z(0.975) + z(0.8)) * math.sqrt(4.0e9 * (1 / 9_000 + 1 / 1_000))
    )


@pytest.mark.parametrize(("n_treatment", "n_control"), [(630_000, 70_000), (9_000, 1_000), (5_000, 5_000)])
def test_control_size_round_trips_through_the_mde(n_treatment: int, n_control: int) -> None:
    mde = minimum_detectable_effect(
        n_treatment=n_treatment, n_control=n_control, baseline_mean=0.03
    ).mde_absolute
    assert control_size_for(mde=mde, n_treatment=n_treatment, baseline_mean=0.03) == n_control
    # Within a fixed audience the smaller root is the control; the MDE of that split is no larger than asked.
    audience = n_treatment + n_control
    within = control_size_within(mde=mde, audience=audience, baseline_mean=0.03)
    assert within == n_control
    assert minimum_detectable_effect(
        n_treatment=audience - within, n_control=within, baseline_mean=0.03
    ).mde_absolute <= mde * (1 + 1e-12)


def test_no_control_is_big_enough_beside_a_tiny_treated_arm() -> None:
    assert control_size_for(mde=0.001, n_treatment=100, baseline_mean=0.05) is None
    assert control_size_within(mde=0.001, audience=1_000, baseline_mean=0.05) is None


def test_an_effect_of_exactly_the_mde_is_detected_about_80_percent_of_the_time() -> None:
    n_t, n_c, base = 20_000, 20_000, 0.05
    mde = minimum_detectable_effect(n_treatment=n_t, n_control=n_c, baseline_mean=base).mde_absolute
    rng = np.random.default_rng(21)
    runs = 1_000
    hits = 0
    for r_t, r_c in zip(rng.binomial(n_t, base + mde, runs), rng.binomial(n_c, base, runs), strict=True):
        lift = compare(metric="response", treatment=_rate(r_t, n_t), control=_rate(r_c, n_c))
        hits += lift.absolute_interval.low > 0
    # The planning formula uses the baseline variance in both arms, so power is a touch under 80 %; ±4 points
    # is ±3σ of 1 000 runs.
    assert 0.75 <= hits / runs <= 0.84


def _rate(responders: int, n: int) -> Moments:
    p = responders / n
    return Moments(n=n, mean=p, variance=p * (1 - p) * n / (n - 1))
