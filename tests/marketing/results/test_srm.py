"""The sample-ratio check: scipy's χ², an alarm rate equal to its threshold on honest splits, and an alarm on
a real mismatch."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lottocrm.marketing.results import check_sample_ratio


def test_three_arms_against_their_weights_are_scipys_chi_square() -> None:
    counts, weights = [6_210, 2_950, 840], [0.6, 0.3, 0.1]
    check = check_sample_ratio(counts, weights)
    reference = stats.chisquare(counts, f_exp=[share * sum(counts) for share in weights])
    assert check.chi_square == pytest.approx(reference.statistic, rel=1e-12)
    assert check.p_value == pytest.approx(reference.pvalue, rel=1e-12)
    assert check.degrees_of_freedom == 2
    assert check.expected == pytest.approx((6_000.0, 3_000.0, 1_000.0))


def _alarm_rate(threshold: float, runs: int, seed: int, control_share: float) -> float:
    """Campaigns of 50 000 players whose control is drawn honestly (each player independently)."""
    controls = np.random.default_rng(seed).binomial(50_000, control_share, runs)
    weights = [1 - control_share, control_share]
    alarms = sum(
        check_sample_ratio([50_000 - int(c), int(c)], weights, threshold=threshold).alert for c in controls
    )
    return alarms / runs


def test_honest_splits_alarm_at_about_the_threshold_rate() -> None:
    # 4 000 even splits at 5 %: 200 alarms expected, σ ≈ 14; the band is ±3.5σ.
    assert 0.0375 <= _alarm_rate(0.05, 4_000, seed=1, control_share=0.5) <= 0.0625


def test_honest_splits_alarm_at_about_one_in_a_thousand() -> None:
    # 20 000 campaigns with a 10 % control at 0.001: 20 alarms expected (Poisson); 6..40 holds with
    # probability > 0.999.
    rate = _alarm_rate(0.001, 20_000, seed=2, control_share=0.1)
    assert 6 / 20_000 <= rate <= 40 / 20_000


def test_a_control_that_lost_five_percent_of_its_players_is_flagged() -> None:
    """700 k audience, 10 % control, but a join after assignment dropped 5 % of the control: 66 500."""
    check = check_sample_ratio([630_000, 66_500], [0.9, 0.1])
    assert check.alert and check.p_value < 1e-20
    json_ready = check.to_dict()
    assert json_ready["alert"] is True and json_ready["counts"] == (630_000, 66_500)
