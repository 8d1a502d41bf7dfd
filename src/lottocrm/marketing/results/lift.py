"""Treatment against control for one metric: absolute lift with Welch's interval, relative lift by the delta
method, and the incremental total over the treated players.

- Absolute: Δ = ȳ_T − ȳ_C, SE = √(s²_T/n_T + s²_C/n_C), interval Δ ± t(1 − α/2, ν)·SE with the
  Welch–Satterthwaite ν — the interval of ``scipy.stats.ttest_ind(equal_var=False)``.
- Relative: ȳ_T/ȳ_C − 1 with GrowthBook's (gbstats ``frequentist_variance``, relative) delta-method variance
  s²_T/(ȳ_C² n_T) + s²_C ȳ_T²/(ȳ_C⁴ n_C), a symmetric interval on the ratio with the same t quantile. It is
  undefined (None) when the control's mean is 0.
- Incremental: Δ·n_T and its interval scaled by n_T — responders or kopecks the campaign added among the
  players it reached, if they had otherwise behaved like the control.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from lottocrm.marketing.results import _checks
from lottocrm.marketing.results._json import JsonResult
from lottocrm.marketing.results.arms import Moments

ABSOLUTE_METHOD = "welch"
RELATIVE_METHOD = "delta-method on the ratio (gbstats)"


@dataclass(frozen=True)
class Interval(JsonResult):
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Lift(JsonResult):
    """One metric's comparison. ``relative`` and its interval are None when the control's mean is 0."""

    metric: str
    confidence: float
    treatment_mean: float
    control_mean: float
    absolute: float
    absolute_interval: Interval
    standard_error: float
    degrees_of_freedom: float
    p_value: float
    relative: float | None
    relative_interval: Interval | None
    relative_standard_error: float | None
    incremental: float
    incremental_interval: Interval
    absolute_method: str = ABSOLUTE_METHOD
    relative_method: str = RELATIVE_METHOD

    @property
    def significant(self) -> bool:
        """The interval of the absolute lift excludes 0."""
        return not self.absolute_interval.contains(0.0)


def welch_degrees_of_freedom(treatment: Moments, control: Moments) -> float:
    """Welch–Satterthwaite ν; when both arms are constant (no variance) the pooled n − 2, where the interval
    is a point anyway."""
    share_t = treatment.variance / treatment.n
    share_c = control.variance / control.n
    denominator = share_t**2 / (treatment.n - 1) + share_c**2 / (control.n - 1)
    if denominator == 0.0:
        return float(treatment.n + control.n - 2)
    return (share_t + share_c) ** 2 / denominator


def relative_variance(treatment: Moments, control: Moments) -> float:
    """gbstats' delta-method variance of ȳ_T/ȳ_C (arms independent); the control's mean must not be 0."""
    return treatment.variance / (control.mean**2 * treatment.n) + control.variance * treatment.mean**2 / (
        control.mean**4 * control.n
    )


def compare(*, metric: str, treatment: Moments, control: Moments, confidence: float = 0.95) -> Lift:
    """Treatment against control for one metric (see the module's docstring for the formulas)."""
    confidence = _checks.probability(confidence, name="confidence")
    for arm, moments in (("treatment", treatment), ("control", control)):
        if moments.n < 2:
            raise ValueError(f"the {arm} arm of {metric} needs at least 2 players, got {moments.n}")
    delta = treatment.mean - control.mean
    standard_error = math.sqrt(treatment.variance / treatment.n + control.variance / control.n)
    dof = welch_degrees_of_freedom(treatment, control)
    quantile = float(stats.t.ppf(0.5 + confidence / 2, dof))
    if standard_error > 0:
        p_value = float(2 * stats.t.sf(abs(delta) / standard_error, dof))
    else:
        p_value = 1.0 if delta == 0 else 0.0
    absolute = Interval(delta - quantile * standard_error, delta + quantile * standard_error)
    relative = relative_interval = relative_error = None
    if control.mean != 0:
        relative = treatment.mean / control.mean - 1
        relative_error = math.sqrt(relative_variance(treatment, control))
        margin = quantile * relative_error
        relative_interval = Interval(relative - margin, relative + margin)
    scale = treatment.n
    return Lift(
        metric=metric,
        confidence=confidence,
        treatment_mean=treatment.mean,
        control_mean=control.mean,
        absolute=delta,
        absolute_interval=absolute,
        standard_error=standard_error,
        degrees_of_freedom=dof,
        p_value=p_value,
        relative=relative,
        relative_interval=relative_interval,
        relative_standard_error=relative_error,
        incremental=delta * scale,
        incremental_interval=Interval(absolute.low * scale, absolute.high * scale),
    )
