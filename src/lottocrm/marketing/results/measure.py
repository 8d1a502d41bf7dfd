"""One campaign's whole report from one row per player of its audience (treated and control alike): per-arm
figures, the sample-ratio check, response and spend lift, CUPED on the pre-period spend, lift per segment,
and return on cost.

The caller (the campaign service) reads the rows from the contact history and the lake with the same
response window for both arms, and says whether that window has ended: an open window makes every figure
``preliminary``, carried into the result for the report to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from numpy.typing import ArrayLike

from lottocrm.marketing.results import _checks
from lottocrm.marketing.results._json import JsonResult
from lottocrm.marketing.results.arms import ArmSummary, split_arms
from lottocrm.marketing.results.cuped import CupedAdjustment, cuped
from lottocrm.marketing.results.lift import Interval, Lift, compare
from lottocrm.marketing.results.segments import SegmentBreakdown, lift_by_segment
from lottocrm.marketing.results.srm import SampleRatioCheck, check_sample_ratio


@dataclass(frozen=True)
class CampaignMeasurement(JsonResult):
    """``spend_cuped`` is the spend lift after CUPED (None without a pre-period); ``roi`` is
    (incremental spend − cost)/cost from the CUPED lift when there is one (``roi_basis`` says which)."""

    preliminary: bool
    confidence: float
    treatment: ArmSummary
    control: ArmSummary
    sample_ratio: SampleRatioCheck
    response: Lift
    spend: Lift | None
    spend_cuped: Lift | None
    cuped: CupedAdjustment | None
    segments: SegmentBreakdown | None
    cost: int | None
    roi: float | None
    roi_interval: Interval | None
    roi_basis: str | None


def measure_campaign(
    *,
    treated: ArrayLike,
    responded: ArrayLike,
    control_share: float,
    spend: ArrayLike | None = None,
    pre_period_spend: ArrayLike | None = None,
    segment: ArrayLike | None = None,
    cost: int | None = None,
    preliminary: bool = False,
    confidence: float = 0.95,
) -> CampaignMeasurement:
    """The report of one campaign whose control was drawn at ``control_share`` of its audience.

    ``spend`` and ``pre_period_spend`` are kopecks per player in the response window and in the same-length
    window before assignment; ``cost`` is the campaign's cost in kopecks (sending and offers)."""
    control_share = _checks.probability(control_share, name="control_share")
    if pre_period_spend is not None and spend is None:
        raise ValueError("pre_period_spend adjusts spend: give spend too")
    if cost is not None:
        cost = _checks.count(cost, name="cost")
    treatment, control = split_arms(treated=treated, responded=responded, spend=spend)
    sample_ratio = check_sample_ratio([treatment.n, control.n], [1 - control_share, control_share])
    response = compare(
        metric="response", treatment=treatment.response, control=control.response, confidence=confidence
    )
    spend_lift = spend_cuped = adjustment = None
    if treatment.spend is not None and control.spend is not None:
        spend_lift = compare(
            metric="spend", treatment=treatment.spend, control=control.spend, confidence=confidence
        )
    if pre_period_spend is not None and spend is not None:
        adjustment = cuped(outcome=spend, pre_period=pre_period_spend, treated=treated)
        spend_cuped = compare(
            metric="spend (CUPED)",
            treatment=adjustment.treatment,
            control=adjustment.control,
            confidence=confidence,
        )
    segments = None
    if segment is not None:
        segments = lift_by_segment(
            segment=segment,
            treated=treated,
            responded=responded,
            spend=spend,
            confidence=confidence,
            preliminary=preliminary,
        )
    roi = roi_interval = roi_basis = None
    basis = spend_cuped or spend_lift
    if cost and basis is not None:
        roi_basis = "cuped" if spend_cuped is not None else "unadjusted"
        roi = (basis.incremental - cost) / cost
        interval = basis.incremental_interval
        roi_interval = Interval((interval.low - cost) / cost, (interval.high - cost) / cost)
    return CampaignMeasurement(
        preliminary=bool(preliminary),
        confidence=response.confidence,
        treatment=treatment,
        control=control,
        sample_ratio=sample_ratio,
        response=response,
        spend=spend_lift,
        spend_cuped=spend_cuped,
        cuped=adjustment,
        segments=segments,
        cost=cost,
        roi=roi,
        roi_interval=roi_interval,
        roi_basis=roi_basis,
    )
