"""Per-arm figures: how many players, how many responded, spend per player, and each metric's moments.

Variances are sample variances (n − 1 in the denominator) for every metric, binary ones included: a response
is a 0/1 metric measured with the same formulas as spend, as Welch's test does (see
docs/campaign-measurement.md for how this differs from the p(1 − p) of a proportion).
Moments are computed in two passes (the mean, then squared deviations): sums of squares of kopeck amounts lose
digits in float64 when a campaign is large.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lottocrm.marketing.results import _checks
from lottocrm.marketing.results._json import JsonResult


@dataclass(frozen=True)
class Moments(JsonResult):
    """One metric in one arm: players, mean and sample variance."""

    n: int
    mean: float
    variance: float

    @classmethod
    def of(cls, values: NDArray[np.int64] | NDArray[np.bool_] | NDArray[np.float64], *, name: str) -> Moments:
        """From one value per player; an arm needs two players for a variance."""
        if len(values) < 2:
            raise ValueError(f"{name} needs at least 2 players, got {len(values)}")
        floats = values.astype(np.float64)
        return cls(n=len(values), mean=float(floats.mean()), variance=float(floats.var(ddof=1)))

    @classmethod
    def from_sums(cls, *, n: int, total: float, sum_squares: float, name: str) -> Moments:
        """From sufficient statistics aggregated in SQL (count, sum, sum of squares) when pulling one row per
        player would be wasteful; one pass, so prefer :meth:`of` for amounts whose squares exceed 2⁵³."""
        n = _checks.count(n, name=f"{name} n")
        if n < 2:
            raise ValueError(f"{name} needs at least 2 players, got {n}")
        total = _checks.finite(total, name=f"{name} total")
        sum_squares = _checks.finite(sum_squares, name=f"{name} sum of squares")
        mean = total / n
        variance = (sum_squares - total * mean) / (n - 1)
        if variance < -1e-9 * max(1.0, abs(sum_squares)):
            raise ValueError(f"{name} sum of squares {sum_squares!r} is below total²/n: not one metric's")
        return cls(n=n, mean=mean, variance=max(variance, 0.0))


@dataclass(frozen=True)
class ArmSummary(JsonResult):
    """One arm of a campaign: players, responders and response rate; spend (kopecks) total and per player."""

    arm: str
    n: int
    responders: int
    response_rate: float
    response_variance: float
    spend_total: int | None
    spend_per_player: float | None
    spend_variance: float | None

    @property
    def response(self) -> Moments:
        return Moments(n=self.n, mean=self.response_rate, variance=self.response_variance)

    @property
    def spend(self) -> Moments | None:
        if self.spend_per_player is None or self.spend_variance is None:
            return None
        return Moments(n=self.n, mean=self.spend_per_player, variance=self.spend_variance)


def summarise_arm(*, arm: str, responded: ArrayLike, spend: ArrayLike | None = None) -> ArmSummary:
    """The figures of one arm from one row per player: responded (0/1) and, optionally, spend in kopecks."""
    flags = _checks.flags(responded, name=f"{arm} responded")
    if len(flags) == 0:
        raise ValueError(f"the {arm} arm is empty")
    response = Moments.of(flags, name=f"the {arm} arm")
    spend_total = spend_mean = spend_variance = None
    if spend is not None:
        kopecks = _checks.amounts(spend, name=f"{arm} spend")
        _checks.same_length(**{f"{arm} responded": flags, f"{arm} spend": kopecks})
        money = Moments.of(kopecks, name=f"the {arm} arm")
        spend_total, spend_mean, spend_variance = int(kopecks.sum()), money.mean, money.variance
    return ArmSummary(
        arm=arm,
        n=len(flags),
        responders=int(np.count_nonzero(flags)),
        response_rate=response.mean,
        response_variance=response.variance,
        spend_total=spend_total,
        spend_per_player=spend_mean,
        spend_variance=spend_variance,
    )


def summarise_counts(
    *,
    arm: str,
    n: int,
    responders: int,
    spend_total: int | None = None,
    spend_sum_squares: float | None = None,
) -> ArmSummary:
    """The figures of one arm from aggregates (a GROUP BY arm in SQL or DuckDB): the response variance is
    exact from the counts; the spend variance is one pass over the sums (see :meth:`Moments.from_sums`)."""
    n = _checks.count(n, name=f"{arm} n")
    responders = _checks.count(responders, name=f"{arm} responders")
    if n == 0:
        raise ValueError(f"the {arm} arm is empty")
    if n < 2:
        raise ValueError(f"the {arm} arm needs at least 2 players, got {n}")
    if responders > n:
        raise ValueError(f"the {arm} arm has {responders} responders among {n} players")
    if (spend_total is None) != (spend_sum_squares is None):
        raise ValueError(f"give both {arm} spend_total and spend_sum_squares, or neither")
    spend_mean = spend_variance = None
    if spend_total is not None and spend_sum_squares is not None:
        if isinstance(spend_total, bool) or not isinstance(spend_total, int | np.integer):
            raise ValueError(f"{arm} spend_total must be whole kopecks, got {spend_total!r}")
        money = Moments.from_sums(
            n=n, total=float(spend_total), sum_squares=float(spend_sum_squares), name=f"the {arm} arm spend"
        )
        spend_mean, spend_variance = money.mean, money.variance
    return ArmSummary(
        arm=arm,
        n=n,
        responders=responders,
        response_rate=responders / n,
        response_variance=responders * (n - responders) / (n * (n - 1)),
        spend_total=None if spend_total is None else int(spend_total),
        spend_per_player=spend_mean,
        spend_variance=spend_variance,
    )


def split_arms(
    *, treated: ArrayLike, responded: ArrayLike, spend: ArrayLike | None = None
) -> tuple[ArmSummary, ArmSummary]:
    """(treatment, control) summaries from one row per player of the campaign (control included)."""
    in_treatment = _checks.flags(treated, name="treated")
    flags = _checks.flags(responded, name="responded")
    columns = {"treated": in_treatment, "responded": flags}
    kopecks = None
    if spend is not None:
        kopecks = columns["spend"] = _checks.amounts(spend, name="spend")
    _checks.same_length(**columns)
    arms = []
    for arm, rows in (("treatment", in_treatment), ("control", ~in_treatment)):
        arms.append(
            summarise_arm(arm=arm, responded=flags[rows], spend=None if kopecks is None else kopecks[rows])
        )
    return arms[0], arms[1]
