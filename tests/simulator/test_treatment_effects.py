"""The planted per-player responsiveness, and how a planted effect becomes nudge and deterrence chances."""

from __future__ import annotations

import numpy as np

from lottocrm.simulator import treatment_effects
from lottocrm.simulator.treatment_effects import BASE_EFFECT, draw_responsiveness, realise


def test_responsiveness_averages_one_with_a_do_not_disturb_tenth() -> None:
    table = draw_responsiveness(11, np.arange(1, 200_001))
    k = table["responsiveness"].to_numpy()
    disturbed = table["do_not_disturb"].to_numpy()
    # Within four standard errors of the documented mean and share.
    assert abs(k.mean() - 1.0) < 4 * k.std() / np.sqrt(k.size)
    assert abs(disturbed.mean() - 0.10) < 4 * np.sqrt(0.09 / k.size)
    assert (k[disturbed] < 0).all() and (k[~disturbed] > 0).all()
    again = draw_responsiveness(11, np.arange(1, 200_001))
    assert again.equals(table) and not draw_responsiveness(12, np.arange(1, 200_001)).equals(table)


def test_segment_bases_follow_the_published_uplifts() -> None:
    assert BASE_EFFECT["active"] == BASE_EFFECT["vip"] == 0.05
    assert BASE_EFFECT["registered_no_purchase"] == BASE_EFFECT["churned"] == 0.02
    lifecycle = np.array(["active", "at_risk", "no-such-segment"])
    assert treatment_effects.base_effect(lifecycle).tolist() == [0.05, 0.02, BASE_EFFECT["unknown"]]


def test_realise_gives_the_planted_effect_or_caps_it() -> None:
    planted = np.array([0.05, -0.02, 0.05, -0.05, 0.3, 0.0])
    baseline = np.array([0.4, 0.5, 0.0, 0.0, 0.9, 0.3])
    nudge, deter, effect = realise(planted, baseline)
    assert np.allclose(nudge, [0.05 / 0.6, 0, 0.05, 0, 1.0, 0])
    assert np.allclose(deter, [0, 0.04, 0, 0, 0, 0])
    # Planted where it fits; a lapsed player (p₀ = 0) cannot be put off; +0.3 on p₀ = 0.9 is capped at +0.1.
    assert np.allclose(effect, [0.05, -0.02, 0.05, 0.0, 0.1, 0.0])
