"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): fit by maximum likelihood.

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α) and dies after an exponential
lifetime with rate μ ~ Gamma(s, β). Following Fader & Hardie's derivation note (2005), the likelihood is

    L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s  +  s/(r+s+x) · (G(t_x) - G(T)) ]

where the first term is "alive at T" and the second "died between t_x and T". The published G(y) contains
2F1(r+s+x, ·; r+s+x+1; z), whose first two parameters grow with x and lose precision; Euler's transformation
2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) turns it into a 2F1(1, ·; ·; z) series of positive terms:

    α ≥ β:  G(y) = 2F1(1, r+x;   r+s+x+1; (α-β)/(α+y)) / ((α+y)^(r+x)   (β+y)^s)
    α < β:  G(y) = 2F1(1, s+1;   r+s+x+1; (β-α)/(β+y)) / ((α+y)^(r+x-1) (β+y)^(s+1))

Everything is summed in log space; G(t_x) - G(T) is formed as G(t_x)·(1 - G(T)/G(t_x)) so it stays exact
when t_x is close to T. The 2F1 has no closed-form derivative in its parameters, so the optimiser uses
finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln, hyp2f1

from lottocrm.analytics.clv.mle import Convergence, maximise
from lottocrm.analytics.clv.rfm import Rfm, collapse

WARM_START_ROWS = 100_000


@dataclass(frozen=True)
class ParetoNbdParams:
    r: float
    alpha: float
    s: float
    beta: float


@dataclass(frozen=True)
class ParetoNbdFit:
    params: ParetoNbdParams
    log_likelihood: float
    customers: int
    convergence: Convergence


def _log_g(
    y: NDArray[np.float64], x: NDArray[np.float64], r: float, alpha: float, s: float, beta: float
) -> NDArray[np.float64]:
    c = r + s + x + 1
    if alpha >= beta:
        series = hyp2f1(1.0, r + x, c, (alpha - beta) / (alpha + y))
        return np.log(series) - (r + x) * np.log(alpha + y) - s * np.log(beta + y)
    series = hyp2f1(1.0, s + 1, c, (beta - alpha) / (beta + y))
    return np.log(series) - (r + x - 1) * np.log(alpha + y) - (s + 1) * np.log(beta + y)


@dataclass(frozen=True)
class LogTerms:
    """log of the two likelihood terms per customer, without the factor Γ(r+x)α^r β^s / Γ(r)."""

    alive: NDArray[np.float64]
    died: NDArray[np.float64]
    constant: NDArray[np.float64]


def log_terms(
    params: ParetoNbdParams, *, x: NDArray[np.float64], t_x: NDArray[np.float64], T: NDArray[np.float64]
) -> LogTerms:
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    # One-off buyers all share G(0) at x = 0: evaluate the costly 2F1 once for them.
    repeat = x > 0
    log_g_t = np.empty_like(x)
    log_g_t[repeat] = _log_g(t_x[repeat], x[repeat], r, alpha, s, beta)
    log_g_t[~repeat] = _log_g(np.zeros(1), np.zeros(1), r, alpha, s, beta)[0]
    log_g_T = _log_g(T, x, r, alpha, s, beta)
    with np.errstate(divide="ignore"):
        died = np.log(s / (r + s + x)) + log_g_t + np.log1p(-np.exp(np.minimum(log_g_T - log_g_t, 0.0)))
    constant = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return LogTerms(alive=alive, died=died, constant=constant)


def _log_likelihood(log_params: NDArray[np.float64], rfm: Rfm) -> float:
    params = ParetoNbdParams(*np.exp(log_params))
    terms = log_terms(params, x=rfm.x, t_x=rfm.t_x, T=rfm.T)
    return float(rfm.weight @ (terms.constant + np.logaddexp(terms.alive, terms.died)))


def log_likelihood(params: ParetoNbdParams, *, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> float:
    """Total log-likelihood of the customers under ``params``."""
    rfm = collapse(x=x, t_x=t_x, T=T)
    return _log_likelihood(np.log([params.r, params.alpha, params.s, params.beta]), rfm)


def _maximise(rfm: Rfm, start: ParetoNbdParams):
    return maximise(
        log_likelihood=lambda theta: _log_likelihood(theta, rfm),
        start=np.log([start.r, start.alpha, start.s, start.beta]),
        names=("r", "alpha", "s", "beta"),
        scale=rfm.customers,
        analytic_gradient=False,
        relative_tolerance=1e-10,
    )


def fit(*, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> ParetoNbdFit:
    """Maximum likelihood estimates for customers with x repeat purchases, the last at t_x, observed for T."""
    rfm = collapse(x=x, t_x=t_x, T=T)
    # α and β start at the mean observation length so both rates begin on the data's time scale.
    scale = max(float(np.average(rfm.T, weights=rfm.weight)), 1e-3)
    start = ParetoNbdParams(r=1.0, alpha=scale, s=1.0, beta=scale)
    if rfm.x.size > WARM_START_ROWS:
        # Each evaluation costs two 2F1 per distinct row and finite differences need five per step, so
        # the long walk from the generic start is done on a sample and only the last steps on everything.
        start = ParetoNbdParams(*_maximise(rfm.sample(WARM_START_ROWS // 2, seed=0), start).params)
    best = _maximise(rfm, start)
    return ParetoNbdFit(
        params=ParetoNbdParams(*(float(v) for v in best.params)),
        log_likelihood=best.log_likelihood,
        customers=int(rfm.customers),
        convergence=best.convergence,
    )
