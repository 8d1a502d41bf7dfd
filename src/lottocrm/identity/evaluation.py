"""Pairwise precision, recall and F1 against known truth (labelled files, the simulator, review decisions).

A pair is two record ids, smaller first. Cluster pairs are every pair of records one cluster holds — what
the engine finally says — and are what the accuracy targets are set on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import numpy as np

Pair = tuple[int, int]


@dataclass(frozen=True)
class Accuracy:
    predicted: int
    truth: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.truth if self.truth else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(predicted: set[Pair], truth: set[Pair]) -> Accuracy:
    return Accuracy(predicted=len(predicted), truth=len(truth), correct=len(predicted & truth))


def pairs_within(ids: np.ndarray, groups: np.ndarray) -> set[Pair]:
    """Every pair of ids that share a group label."""
    found: set[Pair] = set()
    order = np.argsort(groups, kind="stable")
    ids, groups = np.asarray(ids)[order], np.asarray(groups)[order]
    bounds = np.flatnonzero(np.diff(groups)) + 1
    for members in np.split(ids, bounds):
        if members.size > 1:
            found.update(_ordered(members.tolist()))
    return found


def _ordered(members: Iterable[int]) -> Iterable[Pair]:
    return ((min(x, y), max(x, y)) for x, y in combinations(members, 2))


def label_agreement(
    pairs: Iterable[tuple[int, int, float]], decisions: dict[Pair, str], certain: float
) -> tuple[int, int]:
    """(decided pairs, pairs where the model alone would have decided the same): a steward's "one person"
    agrees with a probability at or above ``certain``, "two people" with one below it or no score. Tells,
    run after run, whether the thresholds still suit the people who check them."""
    probability = {(a, b): p for a, b, p in pairs}
    labels = {pair: status for pair, status in decisions.items() if status in ("accepted", "rejected")}
    agreeing = sum(
        (probability.get(pair, 0.0) >= certain) == (status == "accepted") for pair, status in labels.items()
    )
    return len(labels), agreeing
