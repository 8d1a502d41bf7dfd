"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): fit by maximum likelihood.

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each repeat purchase they
drop out with probability p ~ Beta(a, b). For a customer with x repeat purchases, the last at t_x, observed
for T since the first:

    L = B(a, b+x)/B(a, b) · Γ(r+x)α^r / (Γ(r)(α+T)^(r+x))
      + [x > 0] · B(a+1, b+x-1)/B(a, b) · Γ(r+x)α^r / (Γ(r)(α+t_x)^(r+x))

Every term that depends on x alone is computed once per distinct x, so a likelihood evaluation costs two
logarithms per distinct (x, t_x, T) row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, digamma, gammaln

from lottocrm.analytics.clv.mle import Convergence, maximise
from lottocrm.analytics.clv.rfm import Rfm, collapse


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    log_likelihood: float
    customers: int
    convergence: Convergence


def _terms(
    log_params: NDArray[np.float64], rfm: Rfm, x_values: NDArray[np.float64], x_index: NDArray[np.intp]
):
    r, alpha, a, b = np.exp(log_params)
    repeat = x_values > 0
    common = gammaln(r + x_values) - gammaln(r) + r * np.log(alpha)
    beta_ab = betaln(a, b)
    alive = common + betaln(a, b + x_values) - beta_ab
    # B(a+1, b+x-1) exists only for x > 0; the term is absent for one-off buyers.
    dropped = np.full_like(x_values, -np.inf)
    dropped[repeat] = common[repeat] + betaln(a + 1, b + x_values[repeat] - 1) - beta_ab
    shape = r + rfm.x
    log_alive = alive[x_index] - shape * np.log(alpha + rfm.T)
    log_dropped = dropped[x_index] - shape * np.log(alpha + rfm.t_x)
    return (r, alpha, a, b), log_alive, log_dropped


def _log_likelihood_and_gradient(
    log_params: NDArray[np.float64], rfm: Rfm, x_values: NDArray[np.float64], x_index: NDArray[np.intp]
) -> tuple[float, NDArray[np.float64]]:
    (r, alpha, a, b), log_alive, log_dropped = _terms(log_params, rfm, x_values, x_index)
    with np.errstate(invalid="ignore"):
        ll = np.logaddexp(log_alive, log_dropped)
        # Posterior weights of the two ways the data could have arisen: still alive at T, or gone after t_x.
        w_alive = np.exp(log_alive - ll)
        w_dropped = np.exp(log_dropped - ll)
    w_dropped = np.nan_to_num(w_dropped)

    xs = x_values
    ab = digamma(a + b)
    d_r_x = digamma(r + xs) - digamma(r) + np.log(alpha)
    d_a_alive = ab - digamma(a + b + xs)
    d_a_dropped = 1.0 / a + d_a_alive
    d_b_alive = digamma(b + xs) - digamma(a + b + xs) - digamma(b) + ab
    d_b_dropped = np.zeros_like(xs)
    repeat = xs > 0
    d_b_dropped[repeat] = digamma(b + xs[repeat] - 1) - digamma(a + b + xs[repeat]) - digamma(b) + ab

    shape = r + rfm.x
    i = x_index
    grad_r = d_r_x[i] - w_alive * np.log(alpha + rfm.T) - w_dropped * np.log(alpha + rfm.t_x)
    grad_alpha = r / alpha - shape * (w_alive / (alpha + rfm.T) + w_dropped / (alpha + rfm.t_x))
    grad_a = w_alive * d_a_alive[i] + w_dropped * d_a_dropped[i]
    grad_b = w_alive * d_b_alive[i] + w_dropped * d_b_dropped[i]
    w = rfm.weight
    gradient = np.array([r * w @ grad_r, alpha * w @ grad_alpha, a * w @ grad_a, b * w @ grad_b])
    return float(w @ ll), gradient


def log_likelihood(params: BgNbdParams, *, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> float:
    """Total log-likelihood of the customers under ``params``."""
    rfm = collapse(x=x, t_x=t_x, T=T)
    x_values, x_index = np.unique(rfm.x, return_inverse=True)
    theta = np.log([params.r, params.alpha, params.a, params.b])
    return _log_likelihood_and_gradient(theta, rfm, x_values, x_index)[0]


def fit(*, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> BgNbdFit:
    """Maximum likelihood estimates for customers with x repeat purchases, the last at t_x, observed for T."""
    rfm = collapse(x=x, t_x=t_x, T=T)
    x_values, x_index = np.unique(rfm.x, return_inverse=True)
    # Start with α at the mean observation length so the rate r/α begins on the data's time scale.
    start = np.log([1.0, max(float(np.average(rfm.T, weights=rfm.weight)), 1e-3), 1.0, 1.0])
    best = maximise(
        log_likelihood=lambda theta: _log_likelihood_and_gradient(theta, rfm, x_values, x_index),
        start=start,
        names=("r", "alpha", "a", "b"),
        scale=rfm.customers,
    )
    return BgNbdFit(
        params=BgNbdParams(*(float(v) for v in best.params)),
        log_likelihood=best.log_likelihood,
        customers=int(rfm.customers),
        convergence=best.convergence,
    )
