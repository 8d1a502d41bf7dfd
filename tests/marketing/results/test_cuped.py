"""CUPED on synthetic spend whose pre-period predicts it: the variance falls by about ρ², the estimate stays
unbiased over many seeds, and the adjustment equals the formula written out."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from lottocrm.marketing.results import compare, cuped, measure_campaign

EFFECT = 1_500.0  # kopecks per treated player


def _campaign(seed: int, n: int = 4_000, habit: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pre-period spend per player; post-period spend = base + habit·pre + noise (+ EFFECT if treated), in
    kopecks. The base keeps spend positive without clipping (a clip at 0 would shrink the true effect)."""
    rng = np.random.default_rng(seed)
    pre = np.round(rng.gamma(2.0, 5_000.0, n)).astype(np.int64)
    treated = rng.random(n) < 0.5
    post = 8_000 + habit * pre + rng.normal(0, 2_500.0, n) + EFFECT * treated
    return np.maximum(np.round(post), 0).astype(np.int64), pre, treated


def test_the_adjustment_equals_the_formula_written_out() -> None:
    post, pre, treated = _campaign(seed=5, n=2_000)
    adjustment = cuped(outcome=post, pre_period=pre, treated=treated)
    y, x = post.tolist(), pre.tolist()
    theta = statistics.covariance(y, x) / statistics.variance(x)
    x_bar = statistics.fmean(x)
    adjusted = [yi - theta * (xi - x_bar) for yi, xi in zip(y, x, strict=True)]
    arm_t = [a for a, t in zip(adjusted, treated, strict=True) if t]
    arm_c = [a for a, t in zip(adjusted, treated, strict=True) if not t]
    assert adjustment.theta == pytest.approx(theta, rel=1e-9)
    assert adjustment.treatment.mean == pytest.approx(statistics.fmean(arm_t), rel=1e-9)
    assert adjustment.control.variance == pytest.approx(statistics.variance(arm_c), rel=1e-9)
    assert adjustment.correlation == pytest.approx(statistics.correlation(y, x), rel=1e-9)


def test_variance_falls_by_about_rho_squared() -> None:
    post, pre, treated = _campaign(seed=8)
    adjustment = cuped(outcome=post, pre_period=pre, treated=treated)
    assert adjustment.correlation > 0.8
    assert adjustment.variance_reduction == pytest.approx(adjustment.correlation**2, abs=0.03)
    plain = compare(
        metric="spend", treatment=adjustment.unadjusted_treatment, control=adjustment.unadjusted_control
    )
    adjusted = compare(metric="spend", treatment=adjustment.treatment, control=adjustment.control)
    width = adjusted.absolute_interval.high - adjusted.absolute_interval.low
    assert width < 0.6 * (plain.absolute_interval.high - plain.absolute_interval.low)


def test_an_unrelated_pre_period_changes_nothing_much() -> None:
    post, _, treated = _campaign(seed=9)
    noise = np.random.default_rng(99).integers(0, 20_000, len(post))
    adjustment = cuped(outcome=post, pre_period=noise, treated=treated)
    assert abs(adjustment.variance_reduction) < 0.01


def test_the_adjusted_estimate_is_unbiased_and_covers_at_its_level() -> None:
    estimates, covered = [], 0
    for seed in range(200):
        post, pre, treated = _campaign(seed=1_000 + seed, n=1_000)
        adjustment = cuped(outcome=post, pre_period=pre, treated=treated)
        lift = compare(metric="spend", treatment=adjustment.treatment, control=adjustment.control)
        estimates.append(lift.absolute)
        covered += lift.absolute_interval.contains(EFFECT)
    # The mean of 200 estimates has a standard error of about σ/√200; 4 of them is a generous band.
    spread = statistics.stdev(estimates) / len(estimates) ** 0.5
    assert abs(statistics.fmean(estimates) - EFFECT) < 4 * spread
    assert 0.90 <= covered / 200 <= 0.99


def test_the_campaign_report_carries_cuped_beside_the_plain_spend_lift() -> None:
    post, pre, treated = _campaign(seed=12)
    report = measure_campaign(
        treated=treated, responded=post > 0, spend=post, pre_period_spend=pre, control_share=0.5
    )
    assert report.cuped is not None and report.spend is not None and report.spend_cuped is not None
    assert report.spend_cuped.standard_error < report.spend.standard_error
    assert report.spend_cuped.metric == "spend (CUPED)"
