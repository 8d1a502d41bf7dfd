"""Mart options from ``--threshold NAME=VALUE``, ``--rfm-mode``, ``--rfm-levels`` and ``--engine``: what is
accepted, and one refusal per kind of bad input (each names what is wrong)."""

from __future__ import annotations

import pytest

from lottocrm.analytics.mart.config import MartConfigError, mart_options
from lottocrm.analytics.mart.rfm import RfmThresholds
from lottocrm.analytics.mart.segments import LifecycleThresholds

RFM_CUTS = ["rfm_recency_days=30,90,365", "rfm_frequency=2,3,5", "rfm_monetary_kopecks=50000,100000,1000000"]


def test_defaults() -> None:
    options = mart_options(timezone="Europe/Moscow")
    assert options.lifecycle == LifecycleThresholds()
    assert (options.rfm_levels, options.rfm_thresholds, options.engine) == (5, None, "duckdb")


def test_lifecycle_thresholds_rfm_cut_points_and_engine() -> None:
    options = mart_options(
        timezone="Europe/Moscow",
        thresholds=["active_days=14", "at_risk_days=45", " vip_spend_90d_kopecks = 2000000 ", *RFM_CUTS],
        rfm_mode="thresholds",
        rfm_levels=4,
        engine="pyspark",
    )
    assert options.lifecycle == LifecycleThresholds(
        active_days=14, at_risk_days=45, vip_spend_90d_kopecks=2_000_000
    )
    assert options.rfm_thresholds == RfmThresholds(
        recency_days=(30, 90, 365), frequency=(2, 3, 5), monetary_kopecks=(50_000, 100_000, 1_000_000)
    )
    assert (options.rfm_levels, options.engine) == (4, "pyspark")


def test_quantile_levels() -> None:
    assert mart_options(timezone="Europe/Moscow", rfm_levels=3).rfm_levels == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"thresholds": ["idle_days=10"]}, "unknown name 'idle_days'; known names: new_days"),
        ({"thresholds": ["active_days"]}, "'active_days': expected NAME=VALUE"),
        ({"thresholds": ["active_days="]}, "expected NAME=VALUE"),
        ({"thresholds": ["active_days=two weeks"]}, "'two weeks' is not a whole number"),
        ({"thresholds": ["active_days=10", "active_days=12"]}, "active_days is given twice"),
        ({"thresholds": ["active_days=90"]}, "lifecycle thresholds: .*positive and increasing"),
        ({"thresholds": ["vip_spend_90d_kopecks=-1"]}, "VIP spend threshold cannot be negative"),
        ({"rfm_levels": 7}, "--rfm-levels 7: levels per axis must be 3–5"),
        ({"rfm_mode": "kmeans"}, "--rfm-mode 'kmeans': choose one of quantile, thresholds"),
        ({"thresholds": ["rfm_frequency=2,3"]}, "apply only with --rfm-mode thresholds"),
        ({"rfm_mode": "thresholds", "thresholds": RFM_CUTS[:2]}, "missing --threshold rfm_monetary_kopecks"),
        (
            {"rfm_mode": "thresholds", "thresholds": [*RFM_CUTS[:2], "rfm_monetary_kopecks=5,3"]},
            "RFM thresholds: monetary_kopecks: .*strictly ascending",
        ),
        (
            {"rfm_mode": "thresholds", "thresholds": [*RFM_CUTS[:2], "rfm_monetary_kopecks=5,x"]},
            "'x' is not a whole number",
        ),
        (
            {"rfm_mode": "thresholds", "thresholds": RFM_CUTS, "rfm_levels": 3},
            "--rfm-levels 3 needs 2 cut points per axis; rfm_recency_days, rfm_frequency, .* have",
        ),
        ({"engine": "spark-connect"}, "unknown engine 'spark-connect'; choose one of duckdb, pyspark"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(MartConfigError, match=message):
        mart_options(timezone="Europe/Moscow", **kwargs)
