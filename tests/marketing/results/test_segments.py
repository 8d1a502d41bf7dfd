"""Lift per segment on synthetic data with a different planted effect in each segment."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from lottocrm.marketing.results import lift_by_segment

PLANTED = {"active": 0.02, "at risk": 0.06, "lapsed": 0.0}


def _audience(seed: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 60_000
    segment = rng.choice(np.array(list(PLANTED)), n)
    treated = rng.random(n) < 0.9
    base = np.where(segment == "active", 0.2, np.where(segment == "at risk", 0.08, 0.02))
    effect = np.vectorize(PLANTED.get)(segment)
    responded = rng.random(n) < base + effect * treated
    spend = np.where(responded, rng.integers(5_000, 50_000, n), 0)
    return segment, treated, responded, spend


def test_each_segment_gets_its_own_welch_interval_around_its_own_effect() -> None:
    segment, treated, responded, spend = _audience()
    breakdown = lift_by_segment(segment=segment, treated=treated, responded=responded, spend=spend)
    assert [row.segment for row in breakdown.segments] == sorted(PLANTED)
    for row in breakdown.segments:
        rows = segment == row.segment
        assert row.response is not None and row.spend is not None
        assert row.response.absolute_interval.contains(PLANTED[row.segment])
        welch = stats.ttest_ind(spend[rows & treated], spend[rows & ~treated], equal_var=False)
        interval = welch.confidence_interval(0.95)
        assert row.spend.absolute_interval.low == pytest.approx(interval.low, rel=1e-9)
        assert row.spend.absolute_interval.high == pytest.approx(interval.high, rel=1e-9)
        assert row.treatment_responders == int((responded & rows & treated).sum())


def test_a_segment_whose_control_ran_out_is_listed_without_an_interval() -> None:
    segment = np.array(["vip"] * 5 + ["mass"] * 40)
    treated = np.array([True] * 4 + [False] + [True, False] * 20)
    responded = np.arange(45) % 3 == 0
    breakdown = lift_by_segment(segment=segment, treated=treated, responded=responded, preliminary=True)
    vip = next(row for row in breakdown.segments if row.segment == "vip")
    assert (vip.treatment_n, vip.control_n, vip.response, vip.note) == (
        4,
        1,
        None,
        "an arm has fewer than 2 players",
    )
    assert breakdown.preliminary is True
    json.dumps(breakdown.to_dict(), allow_nan=False)


def test_numeric_labels_are_segments_too() -> None:
    segment, treated, responded, _ = _audience(seed=6)
    deciles = np.searchsorted(np.array(sorted(PLANTED)), segment)
    breakdown = lift_by_segment(segment=deciles, treated=treated, responded=responded)
    assert [row.segment for row in breakdown.segments] == ["0", "1", "2"]
