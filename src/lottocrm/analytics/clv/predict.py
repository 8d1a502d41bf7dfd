"""Predictions from fitted parameters: probability alive, expected purchases, expected spend, discounted CLV.

Formulas: BG/NBD from Fader, Hardie & Lee (2005) eqs. (9)-(10) and their P(alive) note; Pareto/NBD from
Fader & Hardie's 2005 derivation note; Gamma-Gamma from Fader, Hardie & Lee (2005) "RFM and CLV" eq. (5).
Time is in the summary's unit (weeks). Money leaves this module as whole kopecks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import hyp2f1

from lottocrm.analytics.clv import paretonbd
from lottocrm.analytics.clv.bgnbd import BgNbdParams
from lottocrm.analytics.clv.gammagamma import GammaGammaParams
from lottocrm.analytics.clv.paretonbd import ParetoNbdParams
from lottocrm.analytics.clv.rfm import as_arrays
from lottocrm.analytics.errors import AnalyticsInputError

PurchaseParams = BgNbdParams | ParetoNbdParams


def _bgnbd_odds_dropped(
    params: BgNbdParams, x: NDArray[np.float64], t_x: NDArray[np.float64], T: NDArray[np.float64]
):
    """P(dropped)/P(alive) given the history: a/(b+x-1) · ((α+T)/(α+t_x))^(r+x) for x > 0, else 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    odds = np.zeros_like(x)
    repeat = x > 0
    xr = x[repeat]
    odds[repeat] = (
        a / (b + xr - 1) * np.exp((r + xr) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat])))
    )
    return odds


def _pareto_lifetime_factor(s: float, log_ratio: NDArray[np.float64]) -> NDArray[np.float64]:
    """(1 - u^(s-1)) / (s-1) for u = exp(log_ratio), whose limit as s → 1 is -log u."""
    if abs(s - 1) < 1e-9:
        return -log_ratio
    return -np.expm1((s - 1) * log_ratio) / (s - 1)


def probability_alive(
    params: PurchaseParams, *, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """P(the customer is still active at T | x, t_x, T)."""
    x_, t_x_, T_ = as_arrays(x=x, t_x=t_x, T=T)
    if isinstance(params, BgNbdParams):
        return 1.0 / (1.0 + _bgnbd_odds_dropped(params, x_, t_x_, T_))
    terms = paretonbd.log_terms(params, x=x_, t_x=t_x_, T=T_)
    return np.exp(terms.alive - np.logaddexp(terms.alive, terms.died))


def expected_purchases(
    params: PurchaseParams, *, t: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """E[transactions in (T, T+t] | x, t_x, T] per customer."""
    if t < 0:
        raise AnalyticsInputError("the horizon t must be ≥ 0")
    x_, t_x_, T_ = as_arrays(x=x, t_x=t_x, T=T)
    if isinstance(params, BgNbdParams):
        r, alpha, a, b = params.r, params.alpha, params.a, params.b
        z = t / (alpha + T_ + t)
        # ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; z), rewritten by Euler's transformation as
        # (1-z)^(a-1) · 2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters no longer grow with x.
        remaining = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x_ - 1, z)
        unconditional_share = (a + b + x_ - 1) / (a - 1) * (1 - remaining)
        return unconditional_share / (1.0 + _bgnbd_odds_dropped(params, x_, t_x_, T_))
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    alive = probability_alive(params, x=x_, t_x=t_x_, T=T_)
    lifetime = _pareto_lifetime_factor(s, np.log(beta + T_) - np.log(beta + T_ + t))
    return (r + x_) * (beta + T_) / (alpha + T_) * lifetime * alive


def expected_purchases_at(
    params: PurchaseParams, *, weeks: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """P(alive) per customer and E[transactions in (T, T+t]] for each horizon t in ``weeks`` (rows).

    The same numbers as ``probability_alive`` and ``expected_purchases``, with the history-dependent part
    computed once for all horizons.
    """
    horizons = np.asarray(weeks, dtype=np.float64).ravel()
    if (horizons < 0).any():
        raise AnalyticsInputError("every horizon must be ≥ 0")
    x_, t_x_, T_ = as_arrays(x=x, t_x=t_x, T=T)
    alive = probability_alive(params, x=x_, t_x=t_x_, T=T_)
    if isinstance(params, BgNbdParams):
        purchases = np.stack([expected_purchases(params, t=t, x=x_, t_x=t_x_, T=T_) for t in horizons])
        return alive, purchases
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    rate = (r + x_) * (beta + T_) / (alpha + T_) * alive
    purchases = np.stack(
        [rate * _pareto_lifetime_factor(s, np.log(beta + T_) - np.log(beta + T_ + t)) for t in horizons]
    )
    return alive, purchases


def expected_spend(params: GammaGammaParams, *, x: ArrayLike, monetary: ArrayLike) -> NDArray[np.float64]:
    """E[value of a future transaction | x repeat transactions averaging ``monetary``], in monetary's unit.

    A weighted mean of the population mean pγ/(q-1) and the customer's own average, the weight on their own
    average growing with x; one-off buyers (x = 0, monetary ignored) get the population mean.
    """
    p, q, gamma = params.p, params.q, params.gamma
    if q <= 1:
        raise AnalyticsInputError(f"Gamma-Gamma q = {q:.3g} ≤ 1: the mean spend per transaction is infinite")
    x_ = np.asarray(x, dtype=np.float64)
    m_ = np.nan_to_num(np.asarray(monetary, dtype=np.float64))
    m_ = np.where(x_ > 0, m_, 0.0)
    return p * (gamma + x_ * m_) / (p * x_ + q - 1)


def kopecks(amount: ArrayLike) -> NDArray[np.int64]:
    """Model money (floats in kopecks) rounded to whole kopecks for output."""
    return np.rint(np.asarray(amount, dtype=np.float64)).astype(np.int64)
