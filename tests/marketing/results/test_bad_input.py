"""Each bad input the brief names gives a ValueError that says what and where."""

from __future__ import annotations

import numpy as np
import pytest

from lottocrm.marketing.results import (
    Moments,
    attribute,
    check_sample_ratio,
    cuped,
    lift_by_segment,
    measure_campaign,
    minimum_detectable_effect,
    split_arms,
)


def test_an_empty_control_arm() -> None:
    with pytest.raises(ValueError, match="the control arm is empty"):
        split_arms(treated=[True, True, True], responded=[0, 1, 0])


def test_an_empty_treatment_arm_in_cuped() -> None:
    with pytest.raises(ValueError, match="the treatment arm is empty"):
        cuped(outcome=[1, 2, 3], pre_period=[1, 2, 3], treated=[False, False, False])


def test_an_arm_of_one_player() -> None:
    with pytest.raises(ValueError, match="the treatment arm needs at least 2 players, got 1"):
        split_arms(treated=[True, False, False], responded=[0, 1, 0])


def test_mismatched_lengths_name_every_input() -> None:
    with pytest.raises(ValueError, match="treated has 3, responded has 2, spend has 3"):
        split_arms(treated=[True, False, True], responded=[0, 1], spend=[0, 100, 0])


def test_mismatched_lengths_in_segments() -> None:
    with pytest.raises(ValueError, match="segment has 2, treated has 3"):
        lift_by_segment(segment=["a", "b"], treated=[1, 0, 1], responded=[0, 0, 1])


def test_weights_not_summing_to_one() -> None:
    with pytest.raises(ValueError, match=r"weights must sum to 1, got \[0.9, 0.2\]"):
        check_sample_ratio([900, 100], [0.9, 0.2])


def test_a_weight_per_arm() -> None:
    with pytest.raises(ValueError, match="one share per arm"):
        check_sample_ratio([900, 100, 5], [0.9, 0.1])


def test_a_zero_weight() -> None:
    with pytest.raises(ValueError, match="weights must all be positive"):
        check_sample_ratio([900, 100], [1.0, 0.0])


def test_negative_counts() -> None:
    with pytest.raises(ValueError, match="arm 1 count must not be negative, got -3"):
        check_sample_ratio([900, -3], [0.9, 0.1])


def test_negative_sizes_in_planning() -> None:
    with pytest.raises(ValueError, match="n_control must not be negative"):
        minimum_detectable_effect(n_treatment=1_000, n_control=-10, baseline_mean=0.05)


def test_negative_n_in_sums() -> None:
    with pytest.raises(ValueError, match="control n must not be negative"):
        Moments.from_sums(n=-5, total=0.0, sum_squares=0.0, name="control")


def test_all_counts_zero() -> None:
    with pytest.raises(ValueError, match="every arm count is 0"):
        check_sample_ratio([0, 0], [0.5, 0.5])


def test_spend_in_roubles_as_floats() -> None:
    with pytest.raises(ValueError, match="spend must be whole kopecks"):
        split_arms(treated=[1, 0, 1, 0], responded=[1, 0, 0, 1], spend=[12.5, 0.0, 0.0, 3.0])


def test_a_responded_flag_that_is_not_zero_or_one() -> None:
    with pytest.raises(ValueError, match="responded must be 0 or 1; row 2 holds 2"):
        split_arms(treated=[1, 0, 1, 0], responded=[1, 0, 2, 1])


def test_a_two_dimensional_input() -> None:
    with pytest.raises(ValueError, match="treated must be a one-dimensional array"):
        split_arms(treated=np.ones((2, 2), dtype=bool), responded=[1, 0, 0, 1])


def test_a_rate_outside_zero_and_one() -> None:
    with pytest.raises(ValueError, match="a baseline rate must be between 0 and 1"):
        minimum_detectable_effect(n_treatment=1_000, n_control=100, baseline_mean=5.0)


def test_the_expected_effect_given_twice() -> None:
    with pytest.raises(ValueError, match="expected_absolute or expected_relative, not both"):
        minimum_detectable_effect(
            n_treatment=1_000,
            n_control=100,
            baseline_mean=0.05,
            expected_absolute=0.01,
            expected_relative=0.1,
        )


def test_a_control_share_of_one() -> None:
    with pytest.raises(ValueError, match="control_share must be between 0 and 1"):
        measure_campaign(treated=[1, 0, 1, 0], responded=[1, 0, 0, 1], control_share=1.0)


def test_a_pre_period_without_spend() -> None:
    with pytest.raises(ValueError, match="give spend too"):
        measure_campaign(
            treated=[1, 0, 1, 0], responded=[1, 0, 0, 1], pre_period_spend=[1, 2, 3, 4], control_share=0.5
        )


def test_a_player_without_a_segment() -> None:
    with pytest.raises(ValueError, match="row 1 has no segment"):
        lift_by_segment(
            segment=np.array(["a", None, "b"], dtype=object), treated=[1, 0, 1], responded=[0, 0, 1]
        )


def test_a_contact_without_a_time() -> None:
    stamps = np.array(["2026-12-01T09:00", "NaT"], dtype="datetime64[m]")
    with pytest.raises(ValueError, match="contacted_at row 1 has no time"):
        attribute(player=[1, 2], campaign=[10, 10], contacted_at=stamps)
