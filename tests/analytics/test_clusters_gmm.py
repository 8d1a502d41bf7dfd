"""Gaussian-mixture micro-segments: BIC finds three known blobs, profiles are in the features' own units."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from lottocrm.analytics.clusters.gmm import FEATURES, ClusterOptions, choose_mixture, cluster_players
from lottocrm.analytics.rules.errors import AnalyticsInputError

# Three kinds of player in the model's (log) space: recent frequent big spenders on draws, lapsed rare small
# spenders on instant games, and a middle group.
CENTRES = {
    "recency_days": (np.log1p(3), np.log1p(200), np.log1p(30)),
    "tenure_days": (np.log1p(700), np.log1p(400), np.log1p(300)),
    "frequency": (np.log1p(120), np.log1p(3), np.log1p(20)),
    "monetary_kopecks": (np.log1p(5_000_000), np.log1p(30_000), np.log1p(400_000)),
    "average_check_kopecks": (np.log1p(40_000), np.log1p(10_000), np.log1p(20_000)),
    "spend_90d_kopecks": (np.log1p(800_000), np.log1p(1), np.log1p(80_000)),
    "draw_share": (0.9, 0.1, 0.5),
    "favourite_game_share": (0.8, 0.9, 0.4),
}
SIZES = (500, 350, 250)


def _blobs(seed: int) -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(3), SIZES)
    columns: dict[str, object] = {"player_id": np.arange(1, truth.size + 1, dtype=np.int64)}
    for name, log in FEATURES:
        centre = np.asarray(CENTRES[name])[truth]
        spread = 0.03 if not log else 0.25
        values = centre + rng.normal(0, spread, truth.size)
        columns[name] = np.expm1(values) if log else np.clip(values, 0, 1)
    columns["frequency"] = np.maximum(np.rint(columns["frequency"]), 1).astype(np.int32)  # type: ignore[call-overload]
    return pa.table(columns), truth


def test_bic_picks_three_for_three_gaussian_blobs() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack(
        [rng.normal(centre, 1.0, (300, 4)) for centre in ((0, 0, 0, 0), (5, 0, 0, 0), (0, 5, 5, 0))]
    )
    model, bic = choose_mixture(x, ks=range(2, 8), seed=0, restarts=2)
    assert model.n_components == 3
    assert min(bic, key=bic.get) == 3 and list(bic) == [2, 3, 4, 5, 6, 7]


def test_players_in_three_blobs_get_three_clusters_with_profiles() -> None:
    mart, truth = _blobs(seed=1)
    result = cluster_players(mart, ClusterOptions(max_k=6))
    assert result.k == 3
    assert min(result.bic_by_k, key=result.bic_by_k.get) == 3
    clusters = result.assignments.column("cluster").to_numpy()
    # Each true blob is one cluster, numbered by size: largest first.
    for blob, expected in enumerate(range(3)):
        assert (clusters[truth == blob] == expected).all()
    profiles = {p.cluster: p for p in result.profiles}
    assert [profiles[c].players for c in range(3)] == list(SIZES)
    assert profiles[0].share == pytest.approx(500 / 1100)
    # Means are in the features' own units: about 120 purchase days and 50 000 roubles for the big spenders.
    assert profiles[0].means["frequency"] == pytest.approx(120, rel=0.1)
    assert profiles[0].means["monetary_kopecks"] == pytest.approx(5_000_000, rel=0.1)
    assert profiles[0].label == "recent · frequent · high spend · draw games"
    assert profiles[1].label == "lapsed · rare · low spend · instant games"
    assert profiles[2].label == "cooling · regular · mid spend · mixed games"
    probability = result.assignments.column("probability").to_numpy()
    assert (probability > 0.99).mean() > 0.95


def test_players_without_a_purchase_are_not_clustered() -> None:
    mart, _truth = _blobs(seed=2)
    frequency = mart.column("frequency").to_numpy().copy()
    frequency[:10] = 0
    mart = mart.set_column(mart.schema.get_field_index("frequency"), "frequency", pa.array(frequency))
    result = cluster_players(mart, ClusterOptions(max_k=4))
    assert result.assignments.num_rows == mart.num_rows - 10
    assert 1 not in set(result.assignments.column("player_id").to_pylist())


@pytest.mark.parametrize("max_k", [1, 0, -3])
def test_max_k_below_two_is_refused(max_k: int) -> None:
    with pytest.raises(AnalyticsInputError, match="--max-k must be at least 2"):
        ClusterOptions(max_k=max_k)


def test_too_few_buyers_are_refused() -> None:
    mart, _truth = _blobs(seed=3)
    with pytest.raises(AnalyticsInputError, match="only 3 players with a purchase"):
        cluster_players(mart.slice(0, 3), ClusterOptions())
