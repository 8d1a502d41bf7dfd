"""Qini curve, coefficient and uplift@k against a plain-Python rendering of scikit-uplift 0.5.1's definitions,
on synthetic players with a planted uplift (so a good score is known to be good)."""

from __future__ import annotations

import numpy as np
import pytest

from lottocrm.marketing.results import qini_coefficient, qini_curve, uplift_at_k


def _players(seed: int = 3, n: int = 3_000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true_uplift = rng.uniform(-0.05, 0.25, n)
    treated = rng.random(n) < 0.5
    responded = rng.random(n) < 0.1 + true_uplift * treated
    noisy_score = np.round(true_uplift + rng.normal(0, 0.05, n), 2)  # rounded: ties in the score occur
    return responded, treated, true_uplift, noisy_score


def _reference_curve(y: list[int], score: list[float], arm: list[int]) -> tuple[list[float], list[float]]:
    ranked = sorted(range(len(y)), key=lambda i: score[i], reverse=True)
    xs, qs = [0.0], [0.0]
    n_t = n_c = y_t = y_c = 0
    for position, i in enumerate(ranked):
        n_t, y_t = n_t + arm[i], y_t + y[i] * arm[i]
        n_c, y_c = n_c + (1 - arm[i]), y_c + y[i] * (1 - arm[i])
        last = position == len(ranked) - 1 or score[ranked[position + 1]] != score[i]
        if last:  # one point per distinct score, after all its ties
            xs.append(float(position + 1))
            qs.append(y_t - (y_c * n_t / n_c if n_c else 0.0))
    return xs, qs


def _area(xs: list[float], ys: list[float]) -> float:
    return sum((xs[i + 1] - xs[i]) * (ys[i + 1] + ys[i]) / 2 for i in range(len(xs) - 1))


def _reference_coefficient(y: list[int], score: list[float], arm: list[int]) -> float:
    xs, qs = _reference_curve(y, score, arm)
    px, pq = _reference_curve(y, [yi * a - yi * (1 - a) for yi, a in zip(y, arm, strict=True)], arm)
    baseline = _area([0.0, px[-1]], [0.0, pq[-1]])
    return (_area(xs, qs) - baseline) / (_area(px, pq) - baseline)


def test_the_curve_and_coefficient_equal_the_definitions_written_out() -> None:
    responded, treated, _, score = _players()
    y, arm = responded.astype(int).tolist(), treated.astype(int).tolist()
    curve = qini_curve(responded=responded, uplift=score, treated=treated)
    xs, qs = _reference_curve(y, score.tolist(), arm)
    assert list(curve.players) == xs
    assert list(curve.incremental) == pytest.approx(qs, rel=1e-12, abs=1e-9)
    coefficient = qini_coefficient(responded=responded, uplift=score, treated=treated)
    assert coefficient == pytest.approx(_reference_coefficient(y, score.tolist(), arm), rel=1e-9)


def test_a_score_that_knows_the_uplift_beats_a_random_one() -> None:
    responded, treated, true_uplift, _ = _players(n=20_000)
    informed = qini_coefficient(responded=responded, uplift=true_uplift, treated=treated)
    blind = qini_coefficient(
        responded=responded, uplift=np.random.default_rng(0).random(len(responded)), treated=treated
    )
    assert informed > 0.1 and abs(blind) < 0.05


def test_uplift_at_k_in_both_strategies() -> None:
    responded, treated, _, score = _players()
    k = 0.3
    top = np.argsort(score, kind="stable")[::-1][: int(len(score) * k)]
    overall = responded[top][treated[top]].mean() - responded[top][~treated[top]].mean()
    assert uplift_at_k(responded=responded, uplift=score, treated=treated, k=k) == pytest.approx(overall)
    by_arm = []
    for arm in (True, False):
        rows = treated == arm
        order = np.argsort(score[rows], kind="stable")[::-1][: int(rows.sum() * k)]
        by_arm.append(responded[rows][order].mean())
    got = uplift_at_k(responded=responded, uplift=score, treated=treated, k=k, strategy="by_group")
    assert got == pytest.approx(by_arm[0] - by_arm[1])


def test_qini_refuses_what_it_cannot_rank() -> None:
    with pytest.raises(ValueError, match="both treated and control"):
        qini_curve(responded=[1, 0], uplift=[0.1, 0.2], treated=[1, 1])
    with pytest.raises(ValueError, match="uplift must be finite"):
        qini_curve(responded=[1, 0], uplift=[0.1, float("nan")], treated=[1, 0])
    with pytest.raises(ValueError, match="k must be a share"):
        uplift_at_k(responded=[1, 0], uplift=[0.1, 0.2], treated=[1, 0], k=30)
