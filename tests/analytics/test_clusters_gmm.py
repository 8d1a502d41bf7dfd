"""Gaussian-mixture micro-segments: BIC finds three known blobs, k is parsimonious, names read as segments."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from lottocrm.analytics.clusters.gmm import (
    PARSIMONY_NATS,
    ClusterOptions,
    choose_mixture,
    cluster_players,
    parsimonious_k,
)
from lottocrm.analytics.clusters.labels import english, tell_apart, traits
from lottocrm.analytics.errors import AnalyticsInputError

# Three kinds of buyer: recent weekly big spenders on draws, lapsed one-off small spenders on instant games,
# and a middle group playing both. (recency days, purchase days, check in kopecks, draw share, tenure days)
KINDS = (
    (3, 120, 40_000, 0.95, 700),
    (400, 2, 10_000, 0.05, 500),
    (30, 20, 20_000, 0.5, 300),
)
SIZES = (500, 350, 250)


def _blobs(seed: int) -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(3), SIZES)
    columns = (np.asarray(column)[truth] for column in zip(*KINDS, strict=True))
    recency, frequency, check, draw, tenure = columns
    recency = np.maximum(np.rint(recency * np.exp(rng.normal(0, 0.2, truth.size))), 1)
    frequency = np.maximum(np.rint(frequency * np.exp(rng.normal(0, 0.2, truth.size))), 1)
    check = np.rint(check * np.exp(rng.normal(0, 0.2, truth.size)) / 100) * 100
    spend = (check * frequency).astype(np.int64)
    tenure = np.maximum(tenure, recency)
    gaps = np.where(frequency > 1, (tenure - recency) / np.maximum(frequency - 1, 1), np.nan)
    table = pa.table(
        {
            "player_id": np.arange(1, truth.size + 1, dtype=np.int64),
            "recency_days": recency.astype(np.int32),
            "tenure_days": tenure.astype(np.int32),
            "frequency": frequency.astype(np.int32),
            "monetary_kopecks": spend,
            "average_check_kopecks": spend // frequency.astype(np.int64),
            "spend_90d_kopecks": np.where(recency < 90, spend // 4, 0),
            "draw_share": np.clip(draw + rng.normal(0, 0.03, truth.size), 0, 1),
            "favourite_game_share": np.full(truth.size, 0.6),
            "interval_mean_days": pa.array(gaps, from_pandas=True),
        }
    )
    return table, truth


def test_bic_picks_three_for_three_gaussian_blobs() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack(
        [rng.normal(centre, 1.0, (300, 4)) for centre in ((0, 0, 0, 0), (5, 0, 0, 0), (0, 5, 5, 0))]
    )
    choice = choose_mixture(x, ks=range(2, 8), seed=0, restarts=2)
    assert choice.k == 3 and choice.model.n_components == 3  # type: ignore[attr-defined]
    assert set(choice.bic) == {"full", "diag"} and list(choice.bic["full"]) == [2, 3, 4, 5, 6, 7]
    assert min(choice.bic[choice.covariance], key=choice.bic[choice.covariance].get) == 3
    assert set(choice.seconds["diag"]) == set(range(2, 8))


def test_the_smallest_k_within_the_margin_of_the_lowest_bic_is_chosen() -> None:
    players = 1_000
    margin = 2 * players * PARSIMONY_NATS
    # BIC still falling at the cap, but by less than the margin from k = 4 on.
    curve = {2: 50_000.0, 3: 30_000.0, 4: 20_000 + 0.9 * margin, 5: 20_000 + 0.4 * margin, 6: 20_000.0}
    assert parsimonious_k(curve, players) == 4
    assert parsimonious_k({**curve, 4: 20_000 + 1.1 * margin}, players) == 5
    assert parsimonious_k({2: 10.0, 3: 20.0}, players) == 2


def test_players_in_three_blobs_get_three_clusters_with_segment_labels() -> None:
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
    # Means are in the features' own units: about 120 purchase days and 48 000 roubles for the big spenders.
    assert profiles[0].means["frequency"] == pytest.approx(120, rel=0.1)
    assert profiles[0].means["monetary_kopecks"] == pytest.approx(4_800_000, rel=0.15)
    assert profiles[0].label == "Active high-value weekly draw-game players"
    assert profiles[0].traits == (
        ("status", "active"),
        ("value", "high"),
        ("rhythm", "weekly"),
        ("audience", "draw"),
    )
    assert profiles[1].label == "Lapsed low-value occasional instant-game players"
    assert profiles[2].label == "Mixed-game players"
    probability = result.assignments.column("probability").to_numpy()
    assert (probability > 0.99).mean() > 0.95


def test_the_same_seed_gives_the_same_segments() -> None:
    mart, _truth = _blobs(seed=4)
    first, second = (cluster_players(mart, ClusterOptions(max_k=4, seed=7)) for _ in range(2))
    assert first.bic_by_k == second.bic_by_k
    assert first.assignments.equals(second.assignments)


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


def test_every_em_fit_is_reported_for_the_progress_bar() -> None:
    mart, _truth = _blobs(seed=5)
    fits: list[tuple[str, int]] = []
    cluster_players(mart, ClusterOptions(max_k=4), on_fit=lambda kind, k: fits.append((kind, k)))
    assert fits == [("full", 2), ("full", 3), ("full", 4), ("diag", 2), ("diag", 3), ("diag", 4)]


def test_new_means_a_first_purchase_within_ninety_days_whatever_the_population() -> None:
    def buyers(tenure: list[int]) -> dict[str, np.ndarray]:
        n = len(tenure)
        return {
            "recency_days": np.full(n, 5.0),
            "tenure_days": np.asarray(tenure, dtype=float),
            "frequency": np.full(n, 4.0),
            "monetary_kopecks": np.full(n, 100_000.0),
            "interval_mean_days": np.full(n, 7.0),
            "draw_share": np.full(n, 0.5),
        }

    members = np.array([True, True, False, False])
    assert traits(buyers([60, 80, 400, 500]), members)[0] == ("status", "new")
    # Shorter than the others, but a year of purchases is not new.
    assert ("status", "new") not in traits(buyers([300, 350, 900, 1000]), members)


def test_segments_that_would_read_alike_are_told_apart_by_where_they_differ_most() -> None:
    n = 100
    rng = np.random.default_rng(0)
    columns = {
        "recency_days": rng.uniform(200, 220, 4 * n),
        "tenure_days": rng.uniform(900, 950, 4 * n),
        "frequency": rng.uniform(3, 4, 4 * n),
        # Four segments alike in everything but spend: 1×, 1.1×, 1.2× and 3× a base amount.
        "monetary_kopecks": np.repeat([100_000.0, 110_000.0, 120_000.0, 300_000.0], n),
    }
    clusters = [np.arange(4 * n) // n == c for c in range(4)]
    lapsed_draw = [("status", "lapsed"), ("audience", "draw")]
    found = [list(lapsed_draw), list(lapsed_draw), list(lapsed_draw), [("audience", "mixed")]]
    tell_apart(columns, clusters[:3] + [clusters[3]], found)
    assert found[0] == [*lapsed_draw, ("contrast", "lower spend")]
    assert found[1] == lapsed_draw  # in between: the only one left with the plain name
    assert found[2] == [*lapsed_draw, ("contrast", "higher spend")]
    assert found[3] == [("audience", "mixed")]
    assert english(found[2]) == "Lapsed draw-game players (higher spend)"


def test_no_two_segments_of_a_fit_share_a_name() -> None:
    mart, _truth = _blobs(seed=6)
    # More clusters than kinds of buyer: the extra ones split a kind and would be named like it.
    result = cluster_players(mart, ClusterOptions(min_k=5, max_k=5))
    names = [profile.label for profile in result.profiles]
    assert len(set(names)) == len(names), names
    # Told apart by a contrast, not by the numbering kept for a group of four or more alike.
    assert not [name for name in names if re.search(r"\(\d+\)$", name)], names
    assert sum(name.endswith("spend)") for name in names) == 4, names
