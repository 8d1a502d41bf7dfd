"""From linked pairs to persons: connected components, policed against chaining strangers, with person ids
that survive reruns.

Plain connected components over-merge: A looks like B, B like C, and A and C are strangers. Two guards
(Splink's graph metrics; a published pipeline caps entities at 6 records): a person may hold at most
``max_size`` registrations, and a person of three or more must be *dense* — at least ``min_density`` of
its possible pairs linked. A component that breaks a guard is rebuilt from its strongest links down,
adding a link only while the guards still hold; the links left out are *refused* and go to review.

Person ids: a rerun's clusters take over the ids of the persons they overlap most (each old id to at most
one new cluster, ties to the older id), so a person keeps its id while its registrations stay together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Guards:
    max_size: int = 6
    min_density: float = 0.5

    def __post_init__(self) -> None:
        if self.max_size < 2:
            raise ValueError("a person must be allowed at least 2 registrations")
        if not 0.0 <= self.min_density <= 1.0:
            raise ValueError("the density limit is a share between 0 and 1")

    def allow(self, size: int, edges: int) -> bool:
        if size > self.max_size:
            return False
        return size < 3 or edges / (size * (size - 1) / 2) >= self.min_density


@dataclass(frozen=True)
class Clustering:
    """``player_id[i]`` belongs to cluster ``label[i]`` (clusters of two or more only); ``refused`` marks
    the input links a guard kept out of every cluster."""

    player_id: np.ndarray
    label: np.ndarray
    refused: np.ndarray

    @property
    def clusters(self) -> int:
        return int(np.unique(self.label).size)


def _components(count: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(left.size, np.int8), (left, right)), shape=(count, count))
    return connected_components(graph, directed=False)[1]


def cluster(a: np.ndarray, b: np.ndarray, strength: np.ndarray, guards: Guards) -> Clustering:
    """Cluster the links (a[i], b[i]) of the given strengths (higher = surer)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    if a.size == 0:
        empty = np.zeros(0, np.int64)
        return Clustering(empty, empty, np.zeros(0, bool))
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    left, right = inverse[: a.size], inverse[a.size :]
    component = _components(nodes.size, left, right)
    sizes = np.bincount(component)
    edges = np.bincount(component[left], minlength=sizes.size)
    ok = np.array([guards.allow(int(s), int(e)) for s, e in zip(sizes, edges, strict=True)])
    label = component.copy()
    refused = np.zeros(a.size, bool)
    next_label = sizes.size
    for bad in np.flatnonzero(~ok):
        links = np.flatnonzero(component[left] == bad)
        parts, kept = _rebuild(left[links], right[links], strength[links], guards)
        refused[links[~kept]] = True
        members = np.unique(np.concatenate([left[links], right[links]]))
        # Parts renumbered 0..k-1 inside this component, then shifted past every label given so far.
        renumber = {part: number for number, part in enumerate(sorted(set(parts.values())))}
        for node in members:
            label[node] = next_label + renumber[parts[int(node)]]
        next_label += len(renumber)
    # Drop singletons a rebuild left behind.
    counts = np.bincount(label)
    keep = counts[label] >= 2
    return Clustering(player_id=nodes[keep], label=_dense(label[keep]), refused=refused)


def _dense(label: np.ndarray) -> np.ndarray:
    return np.unique(label, return_inverse=True)[1]


def _rebuild(
    left: np.ndarray, right: np.ndarray, strength: np.ndarray, guards: Guards
) -> tuple[dict[int, int], np.ndarray]:
    """Greedy from the strongest link: add a link while the merged group still passes the guards (links
    inside a group count toward its density as they are met). Returns node → part and the kept links."""
    order = np.lexsort((right, left, -strength))
    parent: dict[int, int] = {}
    size: dict[int, int] = {}
    inner: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    kept = np.zeros(left.size, bool)
    deferred = []
    for index in order:
        x, y = root(int(left[index])), root(int(right[index]))
        if x == y:
            inner[x] = inner.get(x, 0) + 1
            kept[index] = True
            continue
        sx, sy = size.get(x, 1), size.get(y, 1)
        # A link judged on its own first; density is checked once the group's other links have been met.
        if sx + sy > guards.max_size:
            continue
        parent[y] = x
        size[x] = sx + sy
        inner[x] = inner.get(x, 0) + inner.get(y, 0) + 1
        kept[index] = True
        deferred.append(index)
    # A group that ended sparse (a chain) is split back into its members' strongest pairs.
    groups: dict[int, list[int]] = {}
    for node in set(map(int, left)) | set(map(int, right)):
        groups.setdefault(root(node), []).append(node)
    parts: dict[int, int] = {}
    for number, (top, members) in enumerate(groups.items()):
        if guards.allow(len(members), inner.get(top, 0)):
            for node in members:
                parts[node] = number
            continue
        for index in np.flatnonzero(kept):
            if root(int(left[index])) == top:
                kept[index] = False
        for node in members:
            parts[node] = len(groups) + node
    for index in np.flatnonzero(kept):
        kept[index] = parts[int(left[index])] == parts[int(right[index])]
    return parts, kept


def stable_ids(
    player_id: np.ndarray, label: np.ndarray, previous: dict[int, int]
) -> tuple[dict[int, int], set[int]]:
    """For each cluster label, the person id it keeps (from ``previous``: player → person id), and the old
    ids no cluster kept. Clusters not in the mapping are new persons."""
    overlap: dict[tuple[int, int], int] = {}
    for player, cluster_label in zip(player_id.tolist(), label.tolist(), strict=True):
        person = previous.get(player)
        if person is not None:
            overlap[(cluster_label, person)] = overlap.get((cluster_label, person), 0) + 1
    kept: dict[int, int] = {}
    taken: set[int] = set()
    for (cluster_label, person), _count in sorted(overlap.items(), key=lambda item: (-item[1], item[0][1])):
        if cluster_label in kept or person in taken:
            continue
        kept[cluster_label] = person
        taken.add(person)
    return kept, set(previous.values()) - taken
