"""Campaign measurement: pure, vectorised statistics over one row per player (no database).

The campaign service reads the contact history and the lake and hands arrays here; everything returns frozen
dataclasses with ``to_dict()`` for JSON. Formulas, and which interval goes with which figure:
docs/campaign-measurement.md.
"""

from lottocrm.marketing.results.arms import ArmSummary, Moments, split_arms, summarise_arm, summarise_counts
from lottocrm.marketing.results.attribution import AttributedTotals, Attribution, attribute, attributed_totals
from lottocrm.marketing.results.cuped import CupedAdjustment, cuped
from lottocrm.marketing.results.lift import Interval, Lift, compare
from lottocrm.marketing.results.measure import CampaignMeasurement, measure_campaign
from lottocrm.marketing.results.power import (
    Detectability,
    control_size_for,
    control_size_within,
    minimum_detectable_effect,
)
from lottocrm.marketing.results.qini import QiniCurve, qini_coefficient, qini_curve, uplift_at_k
from lottocrm.marketing.results.segments import SegmentBreakdown, SegmentLift, lift_by_segment
from lottocrm.marketing.results.srm import SampleRatioCheck, check_sample_ratio

__all__ = [
    "ArmSummary",
    "AttributedTotals",
    "Attribution",
    "CampaignMeasurement",
    "CupedAdjustment",
    "Detectability",
    "Interval",
    "Lift",
    "Moments",
    "QiniCurve",
    "SampleRatioCheck",
    "SegmentBreakdown",
    "SegmentLift",
    "attribute",
    "attributed_totals",
    "check_sample_ratio",
    "compare",
    "control_size_for",
    "control_size_within",
    "cuped",
    "lift_by_segment",
    "measure_campaign",
    "minimum_detectable_effect",
    "qini_coefficient",
    "qini_curve",
    "split_arms",
    "summarise_arm",
    "summarise_counts",
    "uplift_at_k",
]
