"""Gaussian-mixture micro-segments: EM on standardised analytical-record features, k chosen by BIC.

Only buyers are clustered (a player without a purchase has no recency, check or game mix to describe).
Money and counts are heavy-tailed, so they enter as log(1 + x) before standardising; without that, a few
very large spenders would take clusters of their own. Profiles report every feature's mean in its own units
(days, purchase days, kopecks, shares) and a readable label from where the cluster sits in the population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lottocrm.analytics.rules.errors import AnalyticsInputError

# (column of the analytical record, enters the model as log1p)
FEATURES: tuple[tuple[str, bool], ...] = (
    ("recency_days", True),
    ("tenure_days", True),
    ("frequency", True),
    ("monetary_kopecks", True),
    ("average_check_kopecks", True),
    ("spend_90d_kopecks", True),
    ("draw_share", False),
    ("favourite_game_share", False),
)
DEFAULT_MAX_K = 10
DEFAULT_SAMPLE = 100_000


@dataclass(frozen=True)
class ClusterOptions:
    max_k: int = DEFAULT_MAX_K
    min_k: int = 2
    seed: int = 0
    # EM runs on at most this many players; every player is then assigned by the fitted mixture.
    sample: int = DEFAULT_SAMPLE
    restarts: int = 2

    def __post_init__(self) -> None:
        if self.max_k < 2:
            raise AnalyticsInputError(
                f"--max-k must be at least 2 (one cluster is no segmentation), got {self.max_k}"
            )
        if not 2 <= self.min_k <= self.max_k:
            raise AnalyticsInputError(
                f"the smallest k must be between 2 and --max-k {self.max_k}, got {self.min_k}"
            )


@dataclass(frozen=True)
class Profile:
    cluster: int
    label: str
    players: int
    share: float
    means: dict[str, float]


@dataclass(frozen=True)
class ClusterResult:
    k: int
    bic_by_k: dict[int, float]
    assignments: pa.Table  # player_id, cluster, probability
    profiles: tuple[Profile, ...]


def choose_mixture(x: np.ndarray, *, ks: range, seed: int, restarts: int):  # type: ignore[no-untyped-def]
    """Fit a full-covariance mixture for each k; keep the one with the lowest BIC."""
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    best, bic_by_k = None, {}
    # With eight features BLAS threads have nothing to share and spin on a busy machine (20x slower).
    with threadpool_limits(limits=1):
        for k in ks:
            model = GaussianMixture(
                n_components=k, covariance_type="full", n_init=restarts, random_state=seed, reg_covar=1e-4
            ).fit(x)
            bic_by_k[k] = float(model.bic(x))
            if best is None or bic_by_k[k] < bic_by_k[best[0]]:
                best = (k, model)
    assert best is not None
    return best[1], bic_by_k


def _raw_matrix(buyers: pa.Table) -> np.ndarray:
    columns = []
    for name, _log in FEATURES:
        values = buyers.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
        columns.append(np.nan_to_num(values, nan=0.0))
    return np.column_stack(columns)


def _transform(raw: np.ndarray) -> np.ndarray:
    logged = raw.copy()
    for i, (_name, log) in enumerate(FEATURES):
        if log:
            logged[:, i] = np.log1p(np.maximum(logged[:, i], 0.0))
    return logged


def _tercile_word(value: float, low: float, high: float, words: tuple[str, str, str]) -> str:
    return words[0] if value <= low else words[2] if value >= high else words[1]


def _label(means: dict[str, float], population: dict[str, tuple[float, float]]) -> str:
    def word(name: str, words: tuple[str, str, str]) -> str:
        return _tercile_word(means[name], *population[name], words)

    draw = means["draw_share"]
    games = "draw games" if draw >= 0.7 else "instant games" if draw <= 0.3 else "mixed games"
    return " · ".join(
        (
            word("recency_days", ("recent", "cooling", "lapsed")),
            word("frequency", ("rare", "regular", "frequent")),
            word("monetary_kopecks", ("low spend", "mid spend", "high spend")),
            games,
        )
    )


def cluster_players(mart: pa.Table, options: ClusterOptions) -> ClusterResult:
    """Cluster the buyers of an analytical record (``frequency > 0``)."""
    frequency = mart.column("frequency").to_numpy(zero_copy_only=False)
    buyers = mart.filter(pa.array(frequency > 0))
    n = buyers.num_rows
    if n < 2 * options.min_k:
        raise AnalyticsInputError(
            f"only {n} players with a purchase before the as-of date: "
            f"too few to cluster into {options.min_k} or more groups"
        )
    raw = _raw_matrix(buyers)
    x = _transform(raw)
    centre, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - centre) / scale
    rng = np.random.default_rng(options.seed)
    sample = z if n <= options.sample else z[rng.choice(n, options.sample, replace=False)]
    ks = range(options.min_k, min(options.max_k, len(sample) // 2) + 1)
    model, bic_by_k = choose_mixture(sample, ks=ks, seed=options.seed, restarts=options.restarts)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        probabilities = model.predict_proba(z)
    # Clusters numbered by size, largest first, so "cluster 0" means the same kind of thing across runs.
    raw_cluster = probabilities.argmax(axis=1)
    sizes = np.bincount(raw_cluster, minlength=model.n_components)
    order = np.argsort(-sizes, kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(order.size)
    cluster = renumber[raw_cluster]
    population = {
        name: (float(np.quantile(raw[:, i], 1 / 3)), float(np.quantile(raw[:, i], 2 / 3)))
        for i, (name, _log) in enumerate(FEATURES)
    }
    profiles = []
    seen: dict[str, int] = {}
    for c in range(model.n_components):
        members = cluster == c
        if not members.any():
            continue
        means = {name: float(raw[members, i].mean()) for i, (name, _log) in enumerate(FEATURES)}
        label = _label(means, population)
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label} ({seen[label]})"
        profiles.append(
            Profile(
                cluster=c, label=label, players=int(members.sum()), share=float(members.mean()), means=means
            )
        )
    assignments = pa.table(
        {
            "player_id": buyers.column("player_id"),
            "cluster": pa.array(cluster.astype(np.int16)),
            "probability": pa.array(probabilities.max(axis=1), pa.float64()),
        }
    )
    return ClusterResult(
        k=int(model.n_components), bic_by_k=bic_by_k, assignments=assignments, profiles=tuple(profiles)
    )
