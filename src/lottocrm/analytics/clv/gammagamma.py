"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999).

Each transaction's value is Gamma(p, ν) around the customer's own mean; ν ~ Gamma(q, γ) across customers.
For a customer whose x transactions average m̄, x·m̄ is Gamma(px, ν), which gives

    f(m̄ | x) = Γ(px+q) / (Γ(px)Γ(q)) · γ^q m̄^(px-1) x^(px) / (γ + x m̄)^(px+q)

Only customers with x > 0 repeat transactions carry information; their m̄ is the mean value of those
repeat transactions (the first purchase is left out, as in the published CDNOW fit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln

from lottocrm.analytics.clv.mle import Convergence, maximise
from lottocrm.analytics.errors import AnalyticsInputError


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    customers: int
    convergence: Convergence


def repeat_buyers(*, x: ArrayLike, monetary: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The (x, m̄) of customers with repeat transactions, checked; one-off buyers are dropped."""
    x_ = np.asarray(x, dtype=np.float64).ravel()
    m_ = np.asarray(monetary, dtype=np.float64).ravel()
    if x_.size != m_.size:
        raise AnalyticsInputError(f"x and monetary differ in length ({x_.size}, {m_.size})")
    repeat = x_ > 0
    x_, m_ = x_[repeat], m_[repeat]
    if x_.size == 0:
        raise AnalyticsInputError(
            "no customer made a repeat purchase: there is no spend per transaction to model"
        )
    if not np.isfinite(m_).all() or (m_ <= 0).any():
        raise AnalyticsInputError("average spend of every repeat buyer must be a positive number")
    return x_, m_


def _log_likelihood_and_gradient(
    log_params: NDArray[np.float64], x: NDArray[np.float64], m: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64]]:
    p, q, gamma = np.exp(log_params)
    px = p * x
    log_total = np.log(gamma + x * m)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_total
    )
    psi_pxq = digamma(px + q)
    grad_p = x * (psi_pxq - digamma(px) + np.log(m) + np.log(x) - log_total)
    grad_q = psi_pxq - digamma(q) + np.log(gamma) - log_total
    grad_gamma = q / gamma - (px + q) / (gamma + x * m)
    gradient = np.array([p * grad_p.sum(), q * grad_q.sum(), gamma * grad_gamma.sum()])
    return float(ll.sum()), gradient


def log_likelihood(params: GammaGammaParams, *, x: ArrayLike, monetary: ArrayLike) -> float:
    x_, m_ = repeat_buyers(x=x, monetary=monetary)
    return _log_likelihood_and_gradient(np.log([params.p, params.q, params.gamma]), x_, m_)[0]


def fit(*, x: ArrayLike, monetary: ArrayLike) -> GammaGammaFit:
    """Maximum likelihood estimates from repeat buyers' transaction counts and average spend."""
    x_, m_ = repeat_buyers(x=x, monetary=monetary)
    # γ carries the money unit (dollars, kopecks); starting it at the mean spend makes the start unit-free.
    start = np.log([1.0, 1.0, float(m_.mean())])
    best = maximise(
        log_likelihood=lambda theta: _log_likelihood_and_gradient(theta, x_, m_),
        start=start,
        names=("p", "q", "gamma"),
        scale=float(x_.size),
    )
    return GammaGammaFit(
        params=GammaGammaParams(*(float(v) for v in best.params)),
        log_likelihood=best.log_likelihood,
        customers=int(x_.size),
        convergence=best.convergence,
    )
