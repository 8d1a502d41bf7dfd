"""The summary over the lake's tickets: visits (or days) in local time, anonymous tickets, holdout counts."""

from __future__ import annotations

import datetime as dt

import pytest
from lake_factory import MOSCOW, tickets_table

from lottocrm.analytics.clv.summary import LakeSummary, Transaction
from lottocrm.lake.store import Lake


def at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=MOSCOW)


@pytest.fixture
def lake(tmp_path) -> Lake:
    lake = Lake(tmp_path / "lake")
    rows = [
        # Player 1: two tickets in one minute make one visit, a third that evening another; the three
        # make one transaction by day. 00:30 Moscow on 8 March is 21:30 UTC on the 7th.
        (1, at("2024-03-01", 10), 10_000),
        (1, at("2024-03-01", 10), 2_000),
        (1, at("2024-03-01", 18), 5_000),
        (1, at("2024-03-08", 0, 30), 20_000),
        (1, at("2024-03-15", 12), 40_000),
        (1, at("2024-03-20", 12), 7_000),  # holdout
        (1, at("2024-04-20", 12), 7_000),  # after the holdout
        # Player 2: one purchase in calibration, two in the holdout.
        (2, at("2024-03-10", 9), 30_000),
        (2, at("2024-03-17", 9), 30_000),
        (2, at("2024-03-18", 9), 30_000),
        # Player 3 starts after the calibration end: not in the cohort.
        (3, at("2024-03-16", 9), 30_000),
        (None, at("2024-03-01", 9), 99_000),
    ]
    lake.append("tickets", tickets_table(rows), batch_id="summary-case")
    return lake


def test_summary_over_lake_tickets_by_visit(lake: Lake) -> None:
    engine = LakeSummary(lake, timezone="Europe/Moscow")
    summary = engine.summarise(calibration_end=dt.date(2024, 3, 15), holdout_end=dt.date(2024, 3, 31))
    assert list(summary["customer_id"]) == [1, 2]
    one, two = summary.iloc[0], summary.iloc[1]
    # The evening visit of 1 March is a repeat purchase on the first day: t_x counts days, x visits.
    assert (one["x"], one["t_x"], one["T"]) == (3, 14 / 7, 14 / 7)
    assert one["monetary"] == (5_000 + 20_000 + 40_000) / 3
    assert one["x_holdout"] == 1
    assert (two["x"], two["t_x"], two["T"]) == (0, 0.0, 5 / 7)
    assert two["x_holdout"] == 2


def test_summary_over_lake_tickets_by_day(lake: Lake) -> None:
    engine = LakeSummary(lake, timezone="Europe/Moscow", transaction=Transaction.DAY)
    summary = engine.summarise(calibration_end=dt.date(2024, 3, 15), holdout_end=dt.date(2024, 3, 31))
    assert list(summary["customer_id"]) == [1, 2]
    one, two = summary.iloc[0], summary.iloc[1]
    assert (one["x"], one["t_x"], one["T"]) == (2, 14 / 7, 14 / 7)
    assert one["monetary"] == (20_000 + 40_000) / 2
    assert one["x_holdout"] == 1
    assert (two["x"], two["t_x"], two["T"]) == (0, 0.0, 5 / 7)
    assert two["x_holdout"] == 2


def test_day_boundary_follows_the_operator_time_zone(lake: Lake) -> None:
    # The 00:30 Moscow ticket of 8 March was sold at 21:30 UTC on 7 March.
    in_utc = LakeSummary(lake, timezone="UTC").summarise(calibration_end=dt.date(2024, 3, 7))
    in_moscow = LakeSummary(lake, timezone="Europe/Moscow").summarise(calibration_end=dt.date(2024, 3, 7))
    assert in_utc.iloc[0]["x"] == 2
    assert in_moscow.iloc[0]["x"] == 1


def test_span_of_registered_players(lake: Lake) -> None:
    span = LakeSummary(lake, timezone="Europe/Moscow").span()
    assert (span.first, span.last) == (dt.date(2024, 3, 1), dt.date(2024, 4, 20))


def test_span_of_an_empty_lake(tmp_path) -> None:
    span = LakeSummary(Lake(tmp_path / "empty"), timezone="Europe/Moscow").span()
    assert span.first is None and span.last is None
