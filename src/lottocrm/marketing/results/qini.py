"""Targeting quality of an uplift score: the Qini curve, its coefficient and uplift@k, with scikit-uplift's
(sklift 0.5.1) definitions so figures compare with the literature.

- Qini curve: players ranked by predicted uplift, highest first; at each distinct score the curve is
  q(k) = Y_T(k) − Y_C(k)·N_T(k)/N_C(k) (responders among the top k treated, minus the control's responders
  scaled to the treated count; 0 while no control is in the top k), starting at (0, 0).
- Qini coefficient: the area between the curve and the straight line to its end point, divided by the same
  area for the perfect ranking (sklift ``qini_auc_score`` with ``negative_effect=True``: the perfect ranking
  puts treated responders first and control responders last).
- uplift@k: the response rate of treated minus control among the top k share of players ranked together
  (``overall``) or of each arm ranked apart (``by_group``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lottocrm.marketing.results import _checks
from lottocrm.marketing.results._json import JsonResult


@dataclass(frozen=True)
class QiniCurve(JsonResult):
    players: tuple[float, ...]
    incremental: tuple[float, ...]


def qini_curve(*, responded: ArrayLike, uplift: ArrayLike, treated: ArrayLike) -> QiniCurve:
    y, score, arm = _inputs(responded, uplift, treated)
    players, incremental = _curve(y, score, arm)
    return QiniCurve(players=tuple(players.tolist()), incremental=tuple(incremental.tolist()))


def qini_coefficient(*, responded: ArrayLike, uplift: ArrayLike, treated: ArrayLike) -> float:
    y, score, arm = _inputs(responded, uplift, treated)
    actual_x, actual_y = _curve(y, score, arm)
    perfect_x, perfect_y = _curve(y, y * arm - y * (1 - arm), arm)
    baseline = np.trapezoid([0.0, perfect_y[-1]], [0.0, perfect_x[-1]])
    perfect = np.trapezoid(perfect_y, perfect_x) - baseline
    if perfect == 0:
        raise ValueError("the Qini coefficient is undefined: the perfect ranking gains nothing over random")
    return float((np.trapezoid(actual_y, actual_x) - baseline) / perfect)


def uplift_at_k(
    *,
    responded: ArrayLike,
    uplift: ArrayLike,
    treated: ArrayLike,
    k: float,
    strategy: Literal["overall", "by_group"] = "overall",
) -> float:
    """Treated minus control response rate in the top ``k`` (a share in (0, 1]) by predicted uplift."""
    y, score, arm = _inputs(responded, uplift, treated)
    if not 0 < k <= 1:
        raise ValueError(f"k must be a share of players in (0, 1], got {k!r}")
    if strategy == "overall":
        top = np.argsort(score, kind="stable")[::-1][: int(len(y) * k)]
        y_top, arm_top = y[top], arm[top]
        treated_top, control_top = y_top[arm_top == 1], y_top[arm_top == 0]
    elif strategy == "by_group":
        treated_top = _top_share(y[arm == 1], score[arm == 1], k)
        control_top = _top_share(y[arm == 0], score[arm == 0], k)
    else:
        raise ValueError(f"strategy must be 'overall' or 'by_group', got {strategy!r}")
    if len(treated_top) == 0 or len(control_top) == 0:
        raise ValueError(f"the top {k!r} holds no treated or no control player: choose a larger k")
    return float(treated_top.mean() - control_top.mean())


def _top_share(y: NDArray[np.float64], score: NDArray[np.float64], k: float) -> NDArray[np.float64]:
    return y[np.argsort(score, kind="stable")[::-1][: int(len(y) * k)]]


def _curve(
    y: NDArray[np.float64], score: NDArray[np.float64], arm: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    order = np.argsort(score, kind="mergesort")[::-1]
    y, score, arm = y[order], score[order], arm[order]
    thresholds = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    treated_seen = np.cumsum(arm)[thresholds]
    treated_responders = np.cumsum(y * arm)[thresholds]
    control_responders = np.cumsum(y * (1 - arm))[thresholds]
    players = (thresholds + 1).astype(np.float64)
    control_seen = players - treated_seen
    ratio = np.divide(treated_seen, control_seen, out=np.zeros_like(treated_seen), where=control_seen != 0)
    incremental = treated_responders - control_responders * ratio
    return np.r_[0.0, players], np.r_[0.0, incremental]


def _inputs(
    responded: ArrayLike, uplift: ArrayLike, treated: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    y = _checks.flags(responded, name="responded")
    score = _checks.vector(uplift, name="uplift")
    if score.dtype == np.bool_ or not np.issubdtype(score.dtype, np.number) or not np.isfinite(score).all():
        raise ValueError("uplift must be finite numbers, one predicted uplift per player")
    arm = _checks.flags(treated, name="treated")
    if _checks.same_length(responded=y, uplift=score, treated=arm) == 0:
        raise ValueError("Qini needs players: every input is empty")
    if arm.all() or not arm.any():
        raise ValueError("Qini needs both treated and control players")
    return y.astype(np.float64), score.astype(np.float64), arm.astype(np.float64)
