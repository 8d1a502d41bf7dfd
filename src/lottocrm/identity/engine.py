"""One resolution in memory: score pairs with the model, join them with exact-key links, cluster under the
guards. The store-facing run (:mod:`lottocrm.identity.pipeline`) and the accuracy benches both use it, so the
figures measured are the engine's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.identity.clusters import Clustering, Guards, cluster
from lottocrm.identity.model import ModelSpec
from lottocrm.identity.scoring import Scorer
from lottocrm.identity.thresholds import Thresholds

# Exact-key links outrank any probability when the guards must choose which links to keep.
EXACT_STRENGTH = 2.0


@dataclass(frozen=True)
class Linked:
    """``pairs``: every scored pair at or above the probable threshold (player_a, player_b, probability,
    match_weight, evidence); ``clustering`` over the certain pairs and the exact links; ``refused``: the
    certain pairs a guard kept apart (a, b), which go to review with the probable ones."""

    pairs: pa.Table
    clustering: Clustering
    model: dict[str, Any]
    refused: list[tuple[int, int]]


def link(
    records: pa.Table,
    *,
    spec: ModelSpec,
    thresholds: Thresholds,
    guards: Guards,
    exact: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64)),
    forbidden: set[tuple[int, int]] = frozenset(),  # type: ignore[assignment]
    model: dict[str, Any] | None = None,
    new_ids: pa.Array | None = None,
    threads: int = 2,
    on_step: Callable[[str], None] = lambda step: None,
) -> Linked:
    """Score ``records`` (training a model unless one is given), then cluster. With ``new_ids`` only pairs
    involving those records are scored (incremental). ``forbidden`` pairs (rejected in review) never link."""
    with Scorer(records, spec, threads=threads) as scorer:
        if model is None:
            model = scorer.train(on_step)
        else:
            scorer.use(model)
        on_step("scoring candidate pairs")
        if new_ids is None:
            pairs = scorer.predict(thresholds.probable)
        else:
            pairs = scorer.predict_new(new_ids, thresholds.probable)
    pairs = _unique(pairs)
    certain = pc.greater_equal(pairs["probability"], thresholds.certain).to_numpy(zero_copy_only=False)
    a = np.concatenate([exact[0], pairs["player_a"].to_numpy()[certain]])
    b = np.concatenate([exact[1], pairs["player_b"].to_numpy()[certain]])
    strength = np.concatenate(
        [np.full(exact[0].size, EXACT_STRENGTH), pairs["probability"].to_numpy()[certain]]
    )
    if forbidden:
        allowed = np.array([(int(x), int(y)) not in forbidden for x, y in zip(a, b, strict=True)], bool)
        a, b, strength = a[allowed], b[allowed], strength[allowed]
    on_step("clustering")
    clustering = cluster(a, b, strength, guards)
    refused = [(int(x), int(y)) for x, y in zip(a[clustering.refused], b[clustering.refused], strict=True)]
    return Linked(pairs=pairs, clustering=clustering, model=model, refused=refused)


def _unique(pairs: pa.Table) -> pa.Table:
    """One row per pair: two blocking rules can both produce it (Splink already removes most repeats)."""
    if pairs.num_rows == 0:
        return pairs
    grouped = pairs.group_by(["player_a", "player_b"], use_threads=False).aggregate([("probability", "max")])
    if grouped.num_rows == pairs.num_rows:
        return pairs
    order = pc.sort_indices(
        pairs, [("player_a", "ascending"), ("player_b", "ascending"), ("probability", "descending")]
    )
    pairs = pairs.take(order)
    a, b = pairs["player_a"].to_numpy(), pairs["player_b"].to_numpy()
    first = np.ones(a.size, bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return pairs.filter(pa.array(first))
