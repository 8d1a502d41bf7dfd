"""Session fixtures: CDNOW reference data and its calibration summary, and a local Spark session."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

from lottocrm.analytics.clv.summary import summarise
from lottocrm.analytics.time import EPOCH

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


def summarise_daily_log(log: pd.DataFrame, *, calibration_end: dt.date, holdout_end: dt.date) -> pd.DataFrame:
    """The CLV summary of a log of (customer_id, date, amount) through the same expression as the lake's
    tickets. A log of dates has one transaction per customer and day (the CDNOW convention)."""
    rows = pd.DataFrame(
        {
            "customer_id": log["customer_id"].to_numpy(),
            "day": (pd.to_datetime(log["date"]) - pd.Timestamp(EPOCH)).dt.days.astype("int64").to_numpy(),
            "spend": log["amount"].astype("float64").to_numpy(),
        }
    )
    table = ibis.memtable(rows)
    daily = table.group_by("customer_id", "day").aggregate(spend=table.spend.sum())
    return summarise(
        daily.mutate(moment=daily.day),
        ibis.duckdb.connect(),
        calibration_end=calibration_end,
        holdout_end=holdout_end,
    )


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return summarise_daily_log(cdnow_transactions, calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END)


@pytest.fixture(scope="session")
def published_summary() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark per test worker, shared by the engine parity tests: starting Spark costs ~15 s."""
    if shutil.which("java") is None:
        pytest.skip("the PySpark engine needs Java (a JDK 17 on PATH); none found")
    from lottocrm.analytics.engine import local_spark

    session = local_spark(app_name="lottocrm-tests", shuffle_partitions=2)
    yield session
    session.stop()
