"""Pairwise accuracy and the agreement between the model and the stewards' decisions."""

from __future__ import annotations

import numpy as np

from lottocrm.identity.evaluation import label_agreement, pairs_within, score


def test_pairs_within_groups_and_their_score() -> None:
    found = pairs_within(np.array([5, 1, 2, 3, 4]), np.array([9, 7, 7, 7, 9]))
    assert found == {(1, 2), (1, 3), (2, 3), (4, 5)}
    accuracy = score(found, {(1, 2), (4, 5), (6, 7)})
    assert (accuracy.precision, accuracy.recall) == (0.5, 2 / 3)


def test_the_model_agrees_with_a_decision_on_the_side_of_the_certain_threshold() -> None:
    pairs = [(1, 2, 0.99), (3, 4, 0.99), (5, 6, 0.5)]
    decisions = {
        (1, 2): "accepted",
        (3, 4): "rejected",
        (5, 6): "rejected",
        (7, 8): "accepted",
        (9, 10): "not_sure",
    }
    # Agree: (1,2) linked and accepted; (5,6) below and rejected. Disagree: (3,4), (7,8) never scored.
    assert label_agreement(pairs, decisions, certain=0.98) == (4, 2)
