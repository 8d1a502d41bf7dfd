"""Clustering: guards against chaining strangers, and person ids that survive reruns."""

from __future__ import annotations

import numpy as np
import pytest

from lottocrm.identity.clusters import Guards, cluster, stable_ids
from lottocrm.identity.evaluation import pairs_within


def _clusters(a: list[int], b: list[int], strength: list[float], guards: Guards) -> set[frozenset[int]]:
    result = cluster(np.array(a), np.array(b), np.array(strength), guards)
    groups: dict[int, set[int]] = {}
    for player, label in zip(result.player_id.tolist(), result.label.tolist(), strict=True):
        groups.setdefault(label, set()).add(player)
    return {frozenset(g) for g in groups.values()}


def test_pairs_and_dense_groups_become_persons() -> None:
    found = _clusters([1, 4, 4, 5], [2, 5, 6, 6], [0.999] * 4, Guards())
    assert found == {frozenset({1, 2}), frozenset({4, 5, 6})}


def test_a_chain_of_strangers_is_cut_at_its_weakest_links() -> None:
    # 1-2-3-4-5-6-7 in a line: density 6/21, far below the limit; only strong neighbours stay together.
    a, b = [1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7]
    strength = [0.9999, 0.996, 0.9999, 0.996, 0.9999, 0.996]
    result = cluster(np.array(a), np.array(b), np.array(strength), Guards(max_size=6, min_density=0.5))
    found = pairs_within(result.player_id, result.label)
    assert found <= {(1, 2), (3, 4), (5, 6), (2, 3), (4, 5), (6, 7)}
    assert all(len(group) <= 3 for group in _clusters(a, b, strength, Guards()))
    assert result.refused.any()


def test_no_person_grows_past_the_size_limit() -> None:
    players = list(range(1, 10))
    a = [x for x in players for y in players if x < y]
    b = [y for x in players for y in players if x < y]
    found = _clusters(a, b, [0.999] * len(a), Guards(max_size=4, min_density=0.5))
    assert found and all(len(group) <= 4 for group in found)


def test_a_rerun_keeps_person_ids_by_overlap_and_frees_the_rest() -> None:
    previous = {1: 100, 2: 100, 3: 200, 4: 200, 5: 300, 6: 300}
    # 1,2,7 (grew), 3 alone now (200 loses 4 to 5's group: 4,5,6 overlaps 300 by two).
    kept, dissolved = stable_ids(np.array([1, 2, 7, 4, 5, 6]), np.array([0, 0, 0, 1, 1, 1]), previous)
    assert kept == {0: 100, 1: 300}
    assert dissolved == {200}


def test_bad_guards_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        Guards(max_size=1)
    with pytest.raises(ValueError, match="share between 0 and 1"):
        Guards(min_density=1.5)


def test_two_broken_components_never_share_a_person() -> None:
    # Two separate chains, each too sparse: whatever is kept of one never merges with the other.
    a = [1, 2, 3, 4, 5, 101, 102, 103, 104, 105]
    b = [2, 3, 4, 5, 6, 102, 103, 104, 105, 106]
    strength = [0.9999, 0.996, 0.9999, 0.996, 0.9999] * 2
    for group in _clusters(a, b, strength, Guards(max_size=6, min_density=0.6)):
        assert max(group) < 100 or min(group) > 100


def test_a_newcomer_bridging_two_persons_merges_them_under_the_larger_one() -> None:
    previous = {1: 100, 2: 100, 3: 100, 4: 200, 5: 200}
    kept, dissolved = stable_ids(np.array([1, 2, 3, 4, 5, 9]), np.array([0, 0, 0, 0, 0, 0]), previous)
    assert kept == {0: 100}
    assert dissolved == {200}
