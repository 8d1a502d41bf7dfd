"""Lift per segment: the same comparison within each label (lifecycle, value decile, region), each with its
own interval.

Vectorised over all segments at once: one ``np.unique`` for the labels and ``np.bincount`` sums per
(segment, arm) cell, two passes (means, then squared deviations) as in arms.py. A segment whose arm holds
fewer than two players has no interval; it is listed with its counts and ``lift`` None rather than dropped,
so a marketer sees where the control ran out. The intervals are per segment (no correction for looking at
many): the report says so next to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lottocrm.marketing.results import _checks
from lottocrm.marketing.results._json import JsonResult
from lottocrm.marketing.results.arms import Moments
from lottocrm.marketing.results.lift import Lift, compare

TOO_FEW = "an arm has fewer than 2 players"


@dataclass(frozen=True)
class SegmentLift(JsonResult):
    segment: str
    treatment_n: int
    control_n: int
    treatment_responders: int
    control_responders: int
    response: Lift | None
    spend: Lift | None
    note: str | None


@dataclass(frozen=True)
class SegmentBreakdown(JsonResult):
    """Every segment's lift; ``preliminary`` is carried from the caller: the response window is still open."""

    preliminary: bool
    segments: tuple[SegmentLift, ...]


def lift_by_segment(
    *,
    segment: ArrayLike,
    treated: ArrayLike,
    responded: ArrayLike,
    spend: ArrayLike | None = None,
    confidence: float = 0.95,
    preliminary: bool = False,
) -> SegmentBreakdown:
    """Response (and spend, in kopecks) lift within each distinct label of ``segment``, one row per player."""
    labels = _labels(segment)
    in_treatment = _checks.flags(treated, name="treated")
    flags = _checks.flags(responded, name="responded")
    columns: dict[str, NDArray[Any]] = {"segment": labels, "treated": in_treatment, "responded": flags}
    if spend is not None:
        columns["spend"] = _checks.amounts(spend, name="spend")
    if _checks.same_length(**columns) == 0:
        raise ValueError("lift by segment needs players: every input is empty")
    names, index = np.unique(labels, return_inverse=True)
    cell = index * 2 + in_treatment  # (segment, arm) → 2·segment + 1 for treatment
    cells = 2 * len(names)
    counts = np.bincount(cell, minlength=cells)
    response = _cell_moments(cell, flags, counts)
    money = _cell_moments(cell, columns["spend"], counts) if spend is not None else None
    responders = np.bincount(cell, weights=flags, minlength=cells)
    rows = []
    for position, name in enumerate(names):
        treatment, control = 2 * position + 1, 2 * position
        enough = counts[treatment] >= 2 and counts[control] >= 2
        rows.append(
            SegmentLift(
                segment=str(name),
                treatment_n=int(counts[treatment]),
                control_n=int(counts[control]),
                treatment_responders=int(responders[treatment]),
                control_responders=int(responders[control]),
                response=_compare("response", response, counts, treatment, control, confidence)
                if enough
                else None,
                spend=(
                    _compare("spend", money, counts, treatment, control, confidence)
                    if enough and money is not None
                    else None
                ),
                note=None if enough else TOO_FEW,
            )
        )
    return SegmentBreakdown(preliminary=bool(preliminary), segments=tuple(rows))


def _labels(segment: ArrayLike) -> NDArray[Any]:
    labels = _checks.vector(segment, name="segment")
    if labels.dtype == object:
        missing = np.flatnonzero(np.equal(labels, None))
        if missing.size:
            raise ValueError(f"segment must label every player; row {int(missing[0])} has no segment")
        labels = labels.astype(str)
    elif np.issubdtype(labels.dtype, np.floating) and np.isnan(labels).any():
        raise ValueError(
            f"segment must label every player; row {int(np.flatnonzero(np.isnan(labels))[0])} is NaN"
        )
    return labels


def _cell_moments(
    cell: NDArray[np.intp], values: NDArray[Any], counts: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and sample variance per cell (NaN where a cell has fewer than 2 players)."""
    floats = values.astype(np.float64)
    cells = len(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(cell, weights=floats, minlength=cells) / counts
        deviations = np.bincount(cell, weights=(floats - means[cell]) ** 2, minlength=cells)
        variances = deviations / (counts - 1)
    return means, variances


def _compare(
    metric: str,
    moments: tuple[NDArray[np.float64], NDArray[np.float64]],
    counts: NDArray[np.intp],
    treatment: int,
    control: int,
    confidence: float,
) -> Lift:
    means, variances = moments
    arms = [
        Moments(n=int(counts[c]), mean=float(means[c]), variance=float(variances[c]))
        for c in (treatment, control)
    ]
    return compare(metric=metric, treatment=arms[0], control=arms[1], confidence=confidence)
