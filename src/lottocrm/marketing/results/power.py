"""Before launch: can this control detect the effect we expect? And how large must it be?

The minimum detectable effect (MDE) of a two-sided test at level α with power 1 − β, for arms of n_T and n_C
players of a metric with baseline variance σ², is

    MDE = (z(1 − α/2) + z(1 − β)) · σ · √(1/n_T + 1/n_C)

with normal quantiles (at campaign sizes Welch's t quantile equals z to the fourth decimal) and the baseline's
variance in both arms (the usual planning approximation: the effect is small next to the spread). For a
response rate p the variance is p(1 − p). Solving the same equation for n_C gives the control a given MDE
needs; with the treated arm fixed there may be none (the treated arm alone is too noisy), and within a fixed
audience split between the arms the control is the smaller root of a quadratic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from lottocrm.marketing.results import _checks
from lottocrm.marketing.results._json import JsonResult

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True)
class Detectability(JsonResult):
    """The MDE of a planned split; ``measurable`` is None when no expected effect was given."""

    n_treatment: int
    n_control: int
    baseline_mean: float
    baseline_variance: float
    alpha: float
    power: float
    mde_absolute: float
    mde_relative: float | None
    expected_effect: float | None
    measurable: bool | None


def minimum_detectable_effect(
    *,
    n_treatment: int,
    n_control: int,
    baseline_mean: float,
    baseline_variance: float | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
    expected_absolute: float | None = None,
    expected_relative: float | None = None,
) -> Detectability:
    """The MDE of arms of ``n_treatment`` and ``n_control`` players; ``baseline_variance`` None means the
    metric is a rate and ``baseline_mean`` its baseline. Give the expected effect either in the metric's
    units (``expected_absolute``) or as a share of the baseline (``expected_relative``, 0.05 for +5 %) to
    learn whether the control can measure it."""
    for name, size in (("n_treatment", n_treatment), ("n_control", n_control)):
        if _checks.count(size, name=name) == 0:
            raise ValueError(f"{name} must be at least 1 player")
    variance = _variance(baseline_mean, baseline_variance)
    multiplier = _multiplier(alpha, power)
    mde = multiplier * math.sqrt(variance * (1 / n_treatment + 1 / n_control))
    expected = _expected(baseline_mean, expected_absolute, expected_relative)
    return Detectability(
        n_treatment=int(n_treatment),
        n_control=int(n_control),
        baseline_mean=float(baseline_mean),
        baseline_variance=variance,
        alpha=float(alpha),
        power=float(power),
        mde_absolute=mde,
        mde_relative=mde / abs(baseline_mean) if baseline_mean != 0 else None,
        expected_effect=expected,
        measurable=None if expected is None else abs(expected) >= mde,
    )


def control_size_for(
    *,
    mde: float,
    n_treatment: int,
    baseline_mean: float,
    baseline_variance: float | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
) -> int | None:
    """The smallest control that detects an absolute effect ``mde`` beside ``n_treatment`` treated players;
    None when no control can (the treated arm's own noise already exceeds the MDE)."""
    if _checks.count(n_treatment, name="n_treatment") == 0:
        raise ValueError("n_treatment must be at least 1 player")
    variance = _variance(baseline_mean, baseline_variance)
    room = (_positive(mde, name="mde") / _multiplier(alpha, power)) ** 2 - variance / n_treatment
    if room <= 0:
        return None
    return _ceil(variance / room)


def control_size_within(
    *,
    mde: float,
    audience: int,
    baseline_mean: float,
    baseline_variance: float | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
) -> int | None:
    """The smallest control, taken out of an ``audience`` split between the arms, that detects an absolute
    effect ``mde``; None when even an even split cannot."""
    if _checks.count(audience, name="audience") < 2:
        raise ValueError(f"audience must hold at least 2 players, got {audience}")
    variance = _variance(baseline_mean, baseline_variance)
    # σ²(1/(N − c) + 1/c) = (MDE/k)²  ⇔  c² − N·c + N·σ²/(MDE/k)² = 0; the smaller root is the control.
    scaled = audience * variance / (_positive(mde, name="mde") / _multiplier(alpha, power)) ** 2
    discriminant = audience**2 - 4 * scaled
    if discriminant < 0:
        return None
    control = _ceil((audience - math.sqrt(discriminant)) / 2)
    return control if control <= audience // 2 else None


def _ceil(value: float) -> int:
    """Round a size up, forgiving the last bits of float noise (1000.0000000001 players is 1000)."""
    return math.ceil(value - 1e-9 * max(1.0, value))


def _multiplier(alpha: float, power: float) -> float:
    alpha = _checks.probability(alpha, name="alpha")
    power = _checks.probability(power, name="power")
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def _variance(baseline_mean: float, baseline_variance: float | None) -> float:
    mean = _checks.finite(baseline_mean, name="baseline_mean")
    if baseline_variance is None:
        if not 0 < mean < 1:
            raise ValueError(f"a baseline rate must be between 0 and 1 (exclusive), got {baseline_mean!r}")
        return mean * (1 - mean)
    return _positive(baseline_variance, name="baseline_variance")


def _positive(value: float, *, name: str) -> float:
    number = _checks.finite(value, name=name)
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return number


def _expected(baseline_mean: float, absolute: float | None, relative: float | None) -> float | None:
    if absolute is not None and relative is not None:
        raise ValueError("give the expected effect once: expected_absolute or expected_relative, not both")
    if absolute is not None:
        return _checks.finite(absolute, name="expected_absolute")
    if relative is not None:
        return _checks.finite(relative, name="expected_relative") * float(baseline_mean)
    return None
