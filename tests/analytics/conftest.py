"""CDNOW reference data and its calibration summary, loaded once per test session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from lottocrm.analytics.clv.summary import summarise_transactions

CDNOW = Path(__file__).parent.parent / "data" / "cdnow"
CALIBRATION_END = dt.date(1997, 9, 30)  # 39 weeks from 1997-01-01: T = 272/7 = 38.86 for a 1 January buyer
HOLDOUT_END = dt.date(1998, 6, 30)


@pytest.fixture(scope="session")
def cdnow_transactions() -> pd.DataFrame:
    raw = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return summarise_transactions(
        cdnow_transactions, calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END
    )


@pytest.fixture(scope="session")
def published_summary() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv")
