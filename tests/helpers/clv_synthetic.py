"""Customers drawn from the models' own generative stories, for recovery tests and benchmarks.

Each draw is fully vectorised: given n purchase events of a Poisson process on [0, L], their times are
uniform order statistics, so the k-th of n is L · Beta(k, n-k+1) and no event times need be materialised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lottocrm.analytics.clv.bgnbd import BgNbdParams
from lottocrm.analytics.clv.gammagamma import GammaGammaParams
from lottocrm.analytics.clv.paretonbd import ParetoNbdParams


@dataclass(frozen=True)
class SyntheticCustomers:
    x: NDArray[np.float64]
    t_x: NDArray[np.float64]
    T: NDArray[np.float64]


def _last_of(
    count: NDArray[np.float64], window: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Time of the count-th event among ``count`` uniform events on [0, window]; 0 when there is none."""
    last = np.zeros_like(window)
    some = count > 0
    last[some] = window[some] * rng.beta(count[some], 1.0)
    return last


def draw_bgnbd(params: BgNbdParams, *, T: NDArray[np.float64], seed: int) -> SyntheticCustomers:
    """One customer per entry of ``T`` (weeks observed since their first purchase)."""
    rng = np.random.default_rng(seed)
    n = T.size
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    arrivals = rng.poisson(rate * T).astype(np.float64)
    # The customer leaves right after their j-th repeat purchase, j ~ Geometric(p) on 1, 2, …
    last_purchase_before_leaving = rng.geometric(np.clip(dropout, 1e-12, 1.0)).astype(np.float64)
    x = np.minimum(arrivals, last_purchase_before_leaving)
    t_x = np.zeros(n)
    some = x > 0
    # The x-th of `arrivals` uniform order statistics on [0, T].
    t_x[some] = T[some] * rng.beta(x[some], arrivals[some] - x[some] + 1)
    return SyntheticCustomers(x=x, t_x=t_x, T=T)


def draw_paretonbd(params: ParetoNbdParams, *, T: NDArray[np.float64], seed: int) -> SyntheticCustomers:
    rng = np.random.default_rng(seed)
    n = T.size
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    death_rate = rng.gamma(params.s, 1.0 / params.beta, n)
    active_for = np.minimum(rng.exponential(1.0 / death_rate), T)
    x = rng.poisson(rate * active_for).astype(np.float64)
    return SyntheticCustomers(x=x, t_x=_last_of(x, active_for, rng), T=T)


def draw_spend(params: GammaGammaParams, *, x: NDArray[np.float64], seed: int) -> NDArray[np.float64]:
    """Average value of each customer's x transactions (NaN where x = 0)."""
    rng = np.random.default_rng(seed)
    nu = rng.gamma(params.q, 1.0 / params.gamma, x.size)
    average = np.full(x.size, np.nan)
    some = x > 0
    # The sum of x Gamma(p, ν) values is Gamma(p·x, ν).
    average[some] = rng.gamma(params.p * x[some], 1.0 / nu[some]) / x[some]
    return average


def observation_lengths(n: int, *, low: float, high: float, seed: int) -> NDArray[np.float64]:
    """T for n customers acquired evenly over a period: uniform between ``low`` and ``high`` weeks."""
    return np.random.default_rng(seed).uniform(low, high, n)
