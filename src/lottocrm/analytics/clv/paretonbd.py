"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): fit by maximum likelihood with an analytic gradient.

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α) and dies after an exponential
lifetime with rate μ ~ Gamma(s, β). Following Fader & Hardie's derivation note (2005), the likelihood is

    L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s  +  s/(r+s+x) · (G(t_x) - G(T)) ]

where the first term is "alive at T" and the second "died between t_x and T". The published G(y) contains
2F1(r+s+x, ·; r+s+x+1; z), whose first two parameters grow with x and lose precision; Euler's transformation
2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) turns it into a 2F1(1, ·; ·; z) series of positive terms:

    α ≥ β:  G(y) = 2F1(1, r+x;   r+s+x+1; (α-β)/(α+y)) / ((α+y)^(r+x)   (β+y)^s)
    α < β:  G(y) = 2F1(1, s+1;   r+s+x+1; (β-α)/(β+y)) / ((α+y)^(r+x-1) (β+y)^(s+1))

Everything is summed in log space; G(t_x) - G(T) is formed as G(t_x)·(1 - G(T)/G(t_x)) so it stays exact
when t_x is close to T.

The gradient is analytic: ``series`` sums 2F1(1, b; c; z) together with its derivatives in b, c and z (each
term's ratio to the previous one is below z, so the tail is bounded), and the chain rule does the rest. G is
evaluated once per distinct (x, y) pair — with whole-day summaries (x, T) and (x, t_x) repeat far more often
than (x, t_x, T) does — so a fit on a million players costs a few thousand series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln, hyp2f1

from lottocrm.analytics.clv.mle import Convergence, curvature, maximise, polish
from lottocrm.analytics.clv.rfm import Rfm, collapse

WARM_START_ROWS = 100_000
NAMES = ("r", "alpha", "s", "beta")


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


@dataclass(frozen=True)
class Hypergeometric:
    """2F1(1, b; c; z) and its partial derivatives."""

    value: NDArray[np.float64]
    d_b: NDArray[np.float64]
    d_c: NDArray[np.float64]
    d_z: NDArray[np.float64]


SERIES_TOLERANCE = 1e-16
SERIES_TERMS = 2_000
_CHECK_EVERY = 8


def series(b: NDArray[np.float64], c: NDArray[np.float64], z: NDArray[np.float64]) -> Hypergeometric:
    """2F1(1, b; c; z) = Σ_k (b)_k/(c)_k z^k with its derivatives, for c > b > 0 and 0 ≤ z < 1.

    Rows stop once the geometric bound on their tail is below the tolerance and leave the working set, so
    the cost follows each row's own convergence. The rare row still unconverged after ``SERIES_TERMS``
    (z within a hair of 1) gets scipy's 2F1 and central differences instead.
    """
    n = b.size
    out = Hypergeometric(np.ones(n), np.zeros(n), np.zeros(n), np.zeros(n))
    rows = np.arange(n)
    bb, cc, zz = b.astype(np.float64), c.astype(np.float64), z.astype(np.float64)
    term, sum_b, sum_c = np.ones(n), np.zeros(n), np.zeros(n)
    value, d_b, d_c, d_z = np.ones(n), np.zeros(n), np.zeros(n), np.zeros(n)
    k = 0
    while rows.size and k < SERIES_TERMS:
        ratio = (bb + k) / (cc + k)
        # d/dz of t_{k+1} = (k+1) t_{k+1} / z = (k+1) t_k (b+k)/(c+k), written without dividing by z.
        d_z += (k + 1) * term * ratio
        sum_b += 1.0 / (bb + k)
        sum_c += 1.0 / (cc + k)
        term = term * ratio * zz
        value += term
        d_b += term * sum_b
        d_c -= term * sum_c
        k += 1
        if k % _CHECK_EVERY:
            continue
        # The remaining terms shrink at least as z^j, and their digamma-like weights grow at most like k.
        done = term * (1.0 + sum_b + sum_c) * (k + 1) <= SERIES_TOLERANCE * value * (1.0 - zz)
        if not done.any():
            continue
        finished = rows[done]
        out.value[finished], out.d_b[finished] = value[done], d_b[done]
        out.d_c[finished], out.d_z[finished] = d_c[done], d_z[done]
        keep = ~done
        rows, bb, cc, zz = rows[keep], bb[keep], cc[keep], zz[keep]
        term, sum_b, sum_c = term[keep], sum_b[keep], sum_c[keep]
        value, d_b, d_c, d_z = value[keep], d_b[keep], d_c[keep], d_z[keep]
    if rows.size:
        h = 1e-6
        hz = 1e-7 * (1.0 - zz)
        out.value[rows] = hyp2f1(1.0, bb, cc, zz)
        out.d_b[rows] = (hyp2f1(1.0, bb + h, cc, zz) - hyp2f1(1.0, bb - h, cc, zz)) / (2 * h)
        out.d_c[rows] = (hyp2f1(1.0, bb, cc + h, zz) - hyp2f1(1.0, bb, cc - h, zz)) / (2 * h)
        out.d_z[rows] = (hyp2f1(1.0, bb, cc, zz + hz) - hyp2f1(1.0, bb, cc, zz - hz)) / (2 * hz)
    return out


def _log_g(
    x: NDArray[np.float64], y: NDArray[np.float64], r: float, alpha: float, s: float, beta: float
) -> tuple[NDArray[np.float64], tuple[NDArray[np.float64], ...]]:
    """log G(y) for each (x, y) pair, and its partial derivatives in r, α, s and β."""
    log_a, log_b = np.log(alpha + y), np.log(beta + y)
    c = r + s + x + 1
    if alpha >= beta:
        z = (alpha - beta) / (alpha + y)
        f = series(r + x, c, z)
        log_f = np.log(f.value)
        to_b, to_c, to_z = f.d_b / f.value, f.d_c / f.value, f.d_z / f.value
        log_g = log_f - (r + x) * log_a - s * log_b
        return log_g, (
            to_b + to_c - log_a,
            to_z * (beta + y) / (alpha + y) ** 2 - (r + x) / (alpha + y),
            to_c - log_b,
            -to_z / (alpha + y) - s / (beta + y),
        )
    z = (beta - alpha) / (beta + y)
    f = series(np.full_like(x, s + 1), c, z)
    log_f = np.log(f.value)
    to_b, to_c, to_z = f.d_b / f.value, f.d_c / f.value, f.d_z / f.value
    log_g = log_f - (r + x - 1) * log_a - (s + 1) * log_b
    return log_g, (
        to_c - log_a,
        -to_z / (beta + y) - (r + x - 1) / (alpha + y),
        to_b + to_c - log_b,
        to_z * (alpha + y) / (beta + y) ** 2 - (s + 1) / (beta + y),
    )


@dataclass(frozen=True)
class _Pairs:
    """The distinct (x, y) pairs at which G is needed, and where each row's G(t_x) and G(T) sit among them."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    at_t_x: NDArray[np.intp]
    at_T: NDArray[np.intp]

    @classmethod
    def of(cls, *, x: NDArray[np.float64], t_x: NDArray[np.float64], T: NDArray[np.float64]) -> _Pairs:
        n = x.size
        # Each (x, y) pair read as one complex number: a single hash factorisation, no multi-column index.
        pairs = np.empty(2 * n, dtype=np.complex128)
        pairs.real[:n], pairs.real[n:] = x, x
        pairs.imag[:n], pairs.imag[n:] = t_x + 0.0, T + 0.0
        codes, uniques = pd.factorize(pairs)
        return cls(x=uniques.real.copy(), y=uniques.imag.copy(), at_t_x=codes[:n], at_T=codes[n:])


@dataclass(frozen=True)
class LogTerms:
    """log of the two likelihood terms per customer, without the factor Γ(r+x)α^r β^s / Γ(r)."""

    alive: NDArray[np.float64]
    died: NDArray[np.float64]
    constant: NDArray[np.float64]


def _evaluate(
    params: ParetoNbdParams,
    *,
    x: NDArray[np.float64],
    t_x: NDArray[np.float64],
    T: NDArray[np.float64],
    pairs: _Pairs,
    weight: NDArray[np.float64] | None,
) -> tuple[LogTerms, NDArray[np.float64] | None]:
    """The log terms per customer and, given weights, the gradient of the weighted log-likelihood in the
    parameters (r, α, s, β)."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    log_aT, log_bT = np.log(alpha + T), np.log(beta + T)
    alive = -(r + x) * log_aT - s * log_bT
    log_g, grad_g = _log_g(pairs.x, pairs.y, r, alpha, s, beta)
    log_g_t, log_g_T = log_g[pairs.at_t_x], log_g[pairs.at_T]
    # G(T)/G(t_x) ≤ 1; it is 1 exactly when t_x = T, and then nobody can have died in between.
    ratio = np.exp(np.minimum(log_g_T - log_g_t, 0.0))
    with np.errstate(divide="ignore"):
        died = np.log(s / (r + s + x)) + log_g_t + np.log1p(-ratio)
    constant = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    terms = LogTerms(alive=alive, died=died, constant=constant)
    if weight is None:
        return terms, None

    total = np.logaddexp(alive, died)
    w_alive = weight * np.exp(alive - total)
    w_died = weight * np.exp(died - total)
    possible = ratio < 1.0
    # d log(G(t_x) - G(T)) = (d log G(t_x) - ρ d log G(T)) / (1 - ρ) with ρ = G(T)/G(t_x).
    spread = np.zeros_like(ratio)
    spread[possible] = w_died[possible] / (1.0 - ratio[possible])
    died_share = w_died.sum()
    shape_share = w_died @ (1.0 / (r + s + x))
    d_difference = [spread @ part[pairs.at_t_x] - (spread * ratio) @ part[pairs.at_T] for part in grad_g]
    gradient = np.array(
        [
            weight @ (digamma(r + x) - digamma(r))
            + weight.sum() * np.log(alpha)
            - w_alive @ log_aT
            + d_difference[0]
            - shape_share,
            weight.sum() * r / alpha - w_alive @ ((r + x) / (alpha + T)) + d_difference[1],
            weight.sum() * np.log(beta) - w_alive @ log_bT + d_difference[2] - shape_share + died_share / s,
            weight.sum() * s / beta - s * (w_alive @ (1.0 / (beta + T))) + d_difference[3],
        ]
    )
    return terms, gradient


def log_terms(
    params: ParetoNbdParams, *, x: NDArray[np.float64], t_x: NDArray[np.float64], T: NDArray[np.float64]
) -> LogTerms:
    return _evaluate(params, x=x, t_x=t_x, T=T, pairs=_Pairs.of(x=x, t_x=t_x, T=T), weight=None)[0]


def _log_likelihood_and_gradient(
    log_params: NDArray[np.float64], rfm: Rfm, pairs: _Pairs
) -> tuple[float, NDArray[np.float64]]:
    values = np.exp(log_params)
    terms, gradient = _evaluate(
        ParetoNbdParams(*values), x=rfm.x, t_x=rfm.t_x, T=rfm.T, pairs=pairs, weight=rfm.weight
    )
    ll = terms.constant + np.logaddexp(terms.alive, terms.died)
    assert gradient is not None
    return float(rfm.weight @ ll), values * gradient


def log_likelihood(params: ParetoNbdParams, *, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> float:
    """Total log-likelihood of the customers under ``params``."""
    rfm = collapse(x=x, t_x=t_x, T=T)
    terms = log_terms(params, x=rfm.x, t_x=rfm.t_x, T=rfm.T)
    return float(rfm.weight @ (terms.constant + np.logaddexp(terms.alive, terms.died)))


def _objective(rfm: Rfm):
    pairs = _Pairs.of(x=rfm.x, t_x=rfm.t_x, T=rfm.T)
    return lambda theta: _log_likelihood_and_gradient(theta, rfm, pairs)


def _maximise(rfm: Rfm, start: NDArray[np.float64]):
    return maximise(log_likelihood=_objective(rfm), start=start, names=NAMES, scale=rfm.customers)


def fit(*, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> ParetoNbdFit:
    """Maximum likelihood estimates for customers with x repeat purchases, the last at t_x, observed for T."""
    rfm = collapse(x=x, t_x=t_x, T=T)
    # α and β start at the mean observation length so both rates begin on the data's time scale.
    scale = max(float(np.average(rfm.T, weights=rfm.weight)), 1e-3)
    start = np.log([1.0, scale, 1.0, scale])
    if rfm.x.size > WARM_START_ROWS:
        # The long walk from the generic start is done on a sample of distinct rows (the weighted
        # likelihood stays unbiased); the sample's curvature at its maximum then guides a few Newton steps
        # on everything.
        sample = rfm.sample(WARM_START_ROWS // 2, seed=0)
        start = np.log(_maximise(sample, start).params)
        best = polish(
            log_likelihood=_objective(rfm),
            start=start,
            names=NAMES,
            scale=rfm.customers,
            hessian=curvature(_objective(sample), start, scale=sample.customers),
        )
    else:
        best = _maximise(rfm, start)
    return ParetoNbdFit(
        params=ParetoNbdParams(*(float(v) for v in best.params)),
        log_likelihood=best.log_likelihood,
        customers=int(rfm.customers),
        convergence=best.convergence,
    )
