"""Real randomised experiments reproduce: per-arm counts equal the data's README exactly, and every interval
equals an independent reference (scipy's Welch test, or the formula written out with ``math``/``statistics``)
to 1e-9."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from scipy import stats

from lottocrm.marketing.results import check_sample_ratio, compare, lift_by_segment, split_arms

# From tests/data/uplift/README.md (and the shared README it was cut from): (treated responders, treated n,
# control responders, control n).
README = {
    "starbucks_training.csv.gz": (721, 42_364, 319, 42_170),
    "starbucks_test.csv.gz": (339, 20_748, 141, 20_902),
    "voter-persuasion.csv.gz": (2_012, 5_000, 1_722, 5_000),
    "hair-care-product.csv.gz": (80, 4_976, 32, 5_024),
}
TOLERANCE = 1e-9


def _welch_reference(treated: list[int], control: list[int]) -> dict[str, float]:
    """The figures written out by hand: statistics' sample variance, Welch–Satterthwaite, the t quantile."""
    mean_t, mean_c = statistics.fmean(treated), statistics.fmean(control)
    var_t, var_c = statistics.variance(treated), statistics.variance(control)
    n_t, n_c = len(treated), len(control)
    share_t, share_c = var_t / n_t, var_c / n_c
    dof = (share_t + share_c) ** 2 / (share_t**2 / (n_t - 1) + share_c**2 / (n_c - 1))
    quantile = stats.t.ppf(0.975, dof)
    margin = quantile * math.sqrt(share_t + share_c)
    relative = mean_t / mean_c - 1
    relative_margin = quantile * math.sqrt(var_t / (mean_c**2 * n_t) + var_c * mean_t**2 / (mean_c**4 * n_c))
    return {
        "low": mean_t - mean_c - margin,
        "high": mean_t - mean_c + margin,
        "dof": dof,
        "relative_low": relative - relative_margin,
        "relative_high": relative + relative_margin,
    }


def test_per_arm_counts_equal_the_readme(experiment) -> None:  # type: ignore[no-untyped-def]
    treatment, control = split_arms(treated=experiment.treated, responded=experiment.responded)
    assert (treatment.responders, treatment.n, control.responders, control.n) == README[experiment.name]
    assert treatment.response_rate == README[experiment.name][0] / README[experiment.name][1]


def test_the_absolute_interval_is_welchs_from_scipy(experiment) -> None:  # type: ignore[no-untyped-def]
    treatment, control = split_arms(treated=experiment.treated, responded=experiment.responded)
    lift = compare(metric="response", treatment=treatment.response, control=control.response)
    y = experiment.responded.astype(float)
    welch = stats.ttest_ind(y[experiment.treated], y[~experiment.treated], equal_var=False)
    interval = welch.confidence_interval(0.95)
    assert lift.absolute_interval.low == pytest.approx(interval.low, abs=TOLERANCE)
    assert lift.absolute_interval.high == pytest.approx(interval.high, abs=TOLERANCE)
    assert lift.degrees_of_freedom == pytest.approx(welch.df, rel=TOLERANCE)
    assert lift.p_value == pytest.approx(welch.pvalue, rel=1e-6, abs=1e-15)
    # Incremental responders: the same interval scaled by the treated count.
    assert lift.incremental == pytest.approx(
        (y[experiment.treated].mean() - y[~experiment.treated].mean()) * treatment.n
    )
    assert lift.incremental_interval.low == pytest.approx(
        interval.low * treatment.n, abs=TOLERANCE * treatment.n
    )
    assert lift.incremental_interval.high == pytest.approx(
        interval.high * treatment.n, abs=TOLERANCE * treatment.n
    )


def test_every_interval_equals_the_formula_written_out(experiment) -> None:  # type: ignore[no-untyped-def]
    treatment, control = split_arms(treated=experiment.treated, responded=experiment.responded)
    lift = compare(metric="response", treatment=treatment.response, control=control.response)
    flags = experiment.responded.astype(int).tolist()
    chosen = experiment.treated.tolist()
    reference = _welch_reference(
        [y for y, t in zip(flags, chosen, strict=True) if t],
        [y for y, t in zip(flags, chosen, strict=True) if not t],
    )
    assert lift.absolute_interval.low == pytest.approx(reference["low"], abs=TOLERANCE)
    assert lift.absolute_interval.high == pytest.approx(reference["high"], abs=TOLERANCE)
    assert lift.relative_interval is not None
    assert lift.relative_interval.low == pytest.approx(reference["relative_low"], abs=TOLERANCE)
    assert lift.relative_interval.high == pytest.approx(reference["relative_high"], abs=TOLERANCE)


def test_the_readme_wald_interval_agrees_to_four_decimals(experiment) -> None:  # type: ignore[no-untyped-def]
    """The README's Wald interval (p1 − p0) ± 1.96·√(p1(1−p1)/n1 + p0(1−p0)/n0) differs from Welch's only by
    n/(n − 1) in the variance and t(ν) against 1.96: the bounds agree to the fourth decimal of the rate."""
    responders_t, n_t, responders_c, n_c = README[experiment.name]
    p1, p0 = responders_t / n_t, responders_c / n_c
    margin = 1.96 * math.sqrt(p1 * (1 - p1) / n_t + p0 * (1 - p0) / n_c)
    treatment, control = split_arms(treated=experiment.treated, responded=experiment.responded)
    lift = compare(metric="response", treatment=treatment.response, control=control.response)
    assert lift.absolute_interval.low == pytest.approx(p1 - p0 - margin, abs=5e-5)
    assert lift.absolute_interval.high == pytest.approx(p1 - p0 + margin, abs=5e-5)


def test_the_voter_uplift_is_five_point_eight_points(experiments) -> None:  # type: ignore[no-untyped-def]
    voter = experiments["voter-persuasion.csv.gz"]
    treatment, control = split_arms(treated=voter.treated, responded=voter.responded)
    lift = compare(metric="response", treatment=treatment.response, control=control.response)
    assert round(lift.absolute * 100, 2) == 5.80
    assert lift.significant


def test_the_sample_ratio_of_each_experiment_is_scipys_chi_square(experiment) -> None:  # type: ignore[no-untyped-def]
    counts = [int(experiment.treated.sum()), int((~experiment.treated).sum())]
    check = check_sample_ratio(counts, [0.5, 0.5])
    reference = stats.chisquare(counts)
    assert check.chi_square == pytest.approx(reference.statistic, rel=TOLERANCE, abs=TOLERANCE)
    assert check.p_value == pytest.approx(reference.pvalue, rel=TOLERANCE)
    assert not check.alert  # all four were randomised evenly


def test_lift_per_segment_equals_welch_on_each_segment(experiments) -> None:  # type: ignore[no-untyped-def]
    hair = experiments["hair-care-product.csv.gz"]
    breakdown = lift_by_segment(segment=hair.segment, treated=hair.treated, responded=hair.responded)
    assert [row.segment for row in breakdown.segments] == ["Northeast", "Northwest", "Southeast", "Southwest"]
    y = hair.responded.astype(float)
    for row in breakdown.segments:
        rows = hair.segment == row.segment
        assert (row.treatment_n, row.control_n) == (
            int((rows & hair.treated).sum()),
            int((rows & ~hair.treated).sum()),
        )
        welch = stats.ttest_ind(y[rows & hair.treated], y[rows & ~hair.treated], equal_var=False)
        interval = welch.confidence_interval(0.95)
        assert row.response is not None
        assert row.response.absolute_interval.low == pytest.approx(interval.low, abs=TOLERANCE)
        assert row.response.absolute_interval.high == pytest.approx(interval.high, abs=TOLERANCE)
    assert sum(row.treatment_responders + row.control_responders for row in breakdown.segments) == int(
        np.sum(hair.responded)
    )
