"""One campaign's whole report: the parts equal the functions they come from, the preliminary flag is
carried, ROI follows the incremental spend, and the whole serialises to strict JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lottocrm.marketing.results import check_sample_ratio, compare, cuped, measure_campaign, split_arms


def _campaign(seed: int = 31, n: int = 30_000) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    treated = rng.random(n) >= 0.1
    segment = rng.choice(np.array(["new", "active", "vip"]), n, p=[0.3, 0.6, 0.1])
    pre = np.where(rng.random(n) < 0.5, rng.integers(10_000, 80_000, n), 0)
    responded = rng.random(n) < 0.10 + 0.03 * treated
    spend = np.where(responded, pre // 2 + rng.integers(5_000, 30_000, n), 0)
    return {"treated": treated, "responded": responded, "spend": spend, "pre": pre, "segment": segment}


def test_the_report_is_made_of_the_parts() -> None:
    data = _campaign()
    report = measure_campaign(
        treated=data["treated"],
        responded=data["responded"],
        spend=data["spend"],
        pre_period_spend=data["pre"],
        segment=data["segment"],
        control_share=0.1,
        cost=2_000_000_00,
        preliminary=True,
    )
    treatment, control = split_arms(treated=data["treated"], responded=data["responded"], spend=data["spend"])
    assert (report.treatment, report.control) == (treatment, control)
    assert report.sample_ratio == check_sample_ratio([treatment.n, control.n], [0.9, 0.1])
    assert report.response == compare(
        metric="response", treatment=treatment.response, control=control.response
    )
    adjustment = cuped(outcome=data["spend"], pre_period=data["pre"], treated=data["treated"])
    assert report.cuped == adjustment
    assert report.preliminary is True
    assert report.segments is not None and report.segments.preliminary is True
    assert {row.segment for row in report.segments.segments} == {"new", "active", "vip"}
    assert report.spend_cuped is not None and report.roi is not None and report.roi_interval is not None
    assert report.roi_basis == "cuped"
    assert report.roi == pytest.approx((report.spend_cuped.incremental - 2_000_000_00) / 2_000_000_00)
    assert report.roi_interval.contains(report.roi)


def test_the_report_serialises_to_strict_json() -> None:
    data = _campaign(seed=32, n=5_000)
    report = measure_campaign(
        treated=data["treated"], responded=data["responded"], spend=data["spend"], control_share=0.1
    )
    decoded = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert decoded["preliminary"] is False
    assert decoded["treatment"]["spend_total"] == int(data["spend"][data["treated"]].sum())
    assert decoded["sample_ratio"]["weights"] == [0.9, 0.1]
    assert decoded["cuped"] is None and decoded["roi"] is None and decoded["segments"] is None
    assert decoded["response"]["relative_method"] == "delta-method on the ratio (gbstats)"
