"""Spend lift (kopecks in, floats out) against scipy's Welch test; the delta-method relative lift against a
simulation of its sampling distribution; edge cases that must not produce NaN."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from lottocrm.marketing.results import Moments, compare, split_arms, summarise_arm, summarise_counts


def _spend(rng: np.random.Generator, n: int, mean_rub: float) -> np.ndarray:
    """Lottery spend in kopecks: most players buy nothing, the rest a skewed amount."""
    buys = rng.random(n) < 0.3
    return np.where(buys, np.round(rng.lognormal(np.log(mean_rub * 100), 1.0, n)), 0).astype(np.int64)


def test_spend_lift_is_welchs_interval_and_revenue_scales_by_the_treated() -> None:
    rng = np.random.default_rng(7)
    treated_spend, control_spend = _spend(rng, 9_000, 330), _spend(rng, 1_000, 300)
    treated = np.r_[np.ones(9_000, bool), np.zeros(1_000, bool)]
    spend = np.r_[treated_spend, control_spend]
    treatment, control = split_arms(treated=treated, responded=spend > 0, spend=spend)
    assert treatment.spend_total == int(treated_spend.sum())
    assert isinstance(treatment.spend_total, int)
    assert treatment.spend_per_player == pytest.approx(treated_spend.mean(), rel=1e-12)
    assert treatment.spend is not None and control.spend is not None
    lift = compare(metric="spend", treatment=treatment.spend, control=control.spend)
    welch = stats.ttest_ind(treated_spend, control_spend, equal_var=False)
    interval = welch.confidence_interval(0.95)
    assert lift.absolute_interval.low == pytest.approx(interval.low, rel=1e-9)
    assert lift.absolute_interval.high == pytest.approx(interval.high, rel=1e-9)
    assert lift.p_value == pytest.approx(welch.pvalue, rel=1e-9)
    assert lift.incremental_interval.low == pytest.approx(interval.low * 9_000, rel=1e-9)
    assert lift.incremental == pytest.approx((treated_spend.mean() - control_spend.mean()) * 9_000, rel=1e-9)


def test_the_relative_interval_covers_the_true_ratio_at_its_level() -> None:
    """The delta method approximates; at campaign sizes its 95 % interval must cover ~95 % of the time."""
    rng = np.random.default_rng(11)
    true_t, true_c, n_t, n_c = 0.06, 0.05, 20_000, 5_000
    covered = 0
    runs = 400
    responders_t = rng.binomial(n_t, true_t, runs)
    responders_c = rng.binomial(n_c, true_c, runs)
    for r_t, r_c in zip(responders_t, responders_c, strict=True):
        lift = compare(metric="response", treatment=_rate(r_t, n_t), control=_rate(r_c, n_c))
        assert lift.relative_interval is not None
        covered += lift.relative_interval.contains(true_t / true_c - 1)
    assert 0.92 <= covered / runs <= 0.98


def _rate(responders: int, n: int) -> Moments:
    p = responders / n
    return Moments(n=n, mean=p, variance=p * (1 - p) * n / (n - 1))


def test_moments_from_sql_sums_equal_moments_from_rows() -> None:
    values = np.random.default_rng(3).integers(0, 500_000, 10_000)
    rows = Moments.of(values, name="arm")
    sums = Moments.from_sums(
        n=len(values),
        total=float(values.sum()),
        sum_squares=float(np.sum(values.astype(float) ** 2)),
        name="arm",
    )
    assert sums.mean == pytest.approx(rows.mean, rel=1e-12)
    assert sums.variance == pytest.approx(rows.variance, rel=1e-9)


def test_a_control_that_never_responded_has_no_relative_lift() -> None:
    lift = compare(metric="response", treatment=_rate(30, 1_000), control=_rate(0, 100))
    assert lift.relative is None and lift.relative_interval is None
    assert lift.absolute == pytest.approx(0.03)
    json.dumps(lift.to_dict(), allow_nan=False)


def test_constant_arms_give_a_point_interval_not_nan() -> None:
    lift = compare(metric="response", treatment=_rate(0, 50), control=_rate(0, 50))
    assert (lift.absolute_interval.low, lift.absolute_interval.high, lift.p_value) == (0.0, 0.0, 1.0)
    json.dumps(lift.to_dict(), allow_nan=False)


def test_a_lift_serialises_to_json_with_its_methods_named() -> None:
    lift = compare(metric="response", treatment=_rate(60, 1_000), control=_rate(50, 1_000))
    data = json.loads(json.dumps(lift.to_dict(), allow_nan=False))
    assert data["absolute_interval"].keys() == {"low", "high"}
    assert data["absolute_method"] == "welch"
    assert data["relative_method"].startswith("delta-method")


_AMOUNTS = st.lists(st.integers(min_value=0, max_value=5_000_000), min_size=2, max_size=60)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy, on near-constant arms
@settings(max_examples=80, deadline=None)
@given(treated_spend=_AMOUNTS, control_spend=_AMOUNTS)
def test_any_two_arms_give_scipys_welch_interval(treated_spend: list[int], control_spend: list[int]) -> None:
    assume(
        len(set(treated_spend)) > 1 or len(set(control_spend)) > 1
    )  # scipy has no interval for two constants
    treated = np.r_[np.ones(len(treated_spend), bool), np.zeros(len(control_spend), bool)]
    spend = np.array(treated_spend + control_spend, dtype=np.int64)
    treatment, control = split_arms(treated=treated, responded=spend > 0, spend=spend)
    assert treatment.spend is not None and control.spend is not None
    lift = compare(metric="spend", treatment=treatment.spend, control=control.spend)
    interval = stats.ttest_ind(treated_spend, control_spend, equal_var=False).confidence_interval(0.95)
    scale = max(treated_spend + control_spend)
    assert lift.absolute_interval.low == pytest.approx(interval.low, rel=1e-9, abs=1e-9 * scale)
    assert lift.absolute_interval.high == pytest.approx(interval.high, rel=1e-9, abs=1e-9 * scale)


def test_aggregates_from_sql_give_the_same_arm_as_rows() -> None:
    rng = np.random.default_rng(5)
    spend = _spend(rng, 20_000, 300)
    rows = summarise_arm(arm="control", responded=spend > 0, spend=spend)
    counted = summarise_counts(
        arm="control",
        n=len(spend),
        responders=int((spend > 0).sum()),
        spend_total=int(spend.sum()),
        spend_sum_squares=int(np.sum(spend.astype(object) ** 2)),  # exact in SQL's numeric; here Python ints
    )
    assert (counted.n, counted.responders, counted.spend_total) == (rows.n, rows.responders, rows.spend_total)
    assert counted.response_rate == rows.response_rate
    assert counted.response_variance == pytest.approx(rows.response_variance, rel=1e-12)
    assert counted.spend_variance == pytest.approx(rows.spend_variance, rel=1e-9)


def test_more_responders_than_players_is_refused() -> None:
    with pytest.raises(ValueError, match="the control arm has 12 responders among 10 players"):
        summarise_counts(arm="control", n=10, responders=12)
