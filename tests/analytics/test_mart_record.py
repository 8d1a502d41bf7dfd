"""The analytical record, segments and RFM levels on the hand-made lake, checked value by value.

The players come as the Arrow table the store's extract produces, so these engine-only tests run once; the
extract from SQLite and PostgreSQL is exercised by the CLI tests.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from mart_factory import AS_OF, players_table, write_lake

from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.mart.build import MartBuilder, MartOptions
from lottocrm.analytics.mart.rfm import RfmThresholds
from lottocrm.analytics.mart.segments import LifecycleThresholds
from lottocrm.lake.store import Lake

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def filled_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("mart") / "lake")
    write_lake(lake)
    return lake


@contextmanager
def building(lake: Lake, options: MartOptions) -> Iterator[MartBuilder]:
    builder = MartBuilder(lake=lake, players=players_table(), options=options)
    try:
        yield builder
    finally:
        builder.close()


@pytest.fixture(scope="module")
def builder(filled_lake: Lake) -> Iterator[MartBuilder]:
    with building(filled_lake, MartOptions(timezone="Europe/Moscow")) as built:
        yield built


def _rows(builder: MartBuilder, as_of: dt.date = AS_OF) -> dict[int, dict]:
    return {row["player_id"]: row for row in builder.build(as_of).to_pylist()}


def test_regular_player_record(builder: MartBuilder) -> None:
    row = _rows(builder)[1]
    gaps = [30, 87, 19]  # 15 Jan → 14 Feb → 12 May → 31 May
    assert row["days_since_registration"] == (AS_OF - dt.date(2026, 1, 10)).days
    assert row["first_purchase_on"] == dt.date(2026, 1, 15)
    assert row["second_purchase_on"] == dt.date(2026, 2, 14)
    assert row["last_purchase_on"] == dt.date(2026, 5, 31)
    assert row["recency_days"] == 1
    assert row["tenure_days"] == (AS_OF - dt.date(2026, 1, 15)).days
    assert row["frequency"] == 4
    assert row["tickets"] == 5
    assert row["monetary_kopecks"] == 65_000
    assert row["average_check_kopecks"] == 16_250
    assert row["interval_mean_days"] == pytest.approx(statistics.mean(gaps))
    assert row["interval_std_days"] == pytest.approx(statistics.stdev(gaps))
    assert row["spend_30d_kopecks"] == 40_000
    assert row["spend_90d_kopecks"] == 40_000
    assert row["spend_trend_30d"] == pytest.approx(3.0)
    days_before = (AS_OF - dt.timedelta(days=90) - dt.date(2026, 1, 15)).days
    assert row["spend_trend_90d"] == pytest.approx((40_000 / 90) / (25_000 / days_before))
    assert row["favourite_game_id"] == 1
    assert row["favourite_game_share"] == pytest.approx(60_000 / 65_000)
    assert row["draw_share"] == pytest.approx(60_000 / 65_000)
    assert row["main_channel"] == "app"
    assert row["main_channel_share"] == pytest.approx(60_000 / 65_000)
    assert row["region"] == "RU-MOW"
    assert (row["wins_count"], row["wins_kopecks"]) == (2, 150_000)
    assert row["last_win_on"] == dt.date(2026, 5, 20)
    assert row["biggest_win_kopecks"] == 100_000


def test_one_purchase_and_no_purchase(builder: MartBuilder) -> None:
    rows = _rows(builder)
    assert set(rows) == {1, 2, 3, 4, 6, 7}  # player 5 registers after the as-of date
    once = rows[2]
    assert (once["frequency"], once["monetary_kopecks"], once["recency_days"]) == (1, 50_000, 7)
    assert once["second_purchase_on"] is None
    assert once["interval_mean_days"] is None and once["interval_std_days"] is None
    assert once["spend_trend_90d"] is None
    assert (once["favourite_game_id"], once["draw_share"], once["main_channel"]) == (3, 1.0, "website")
    never = rows[3]
    assert [never[k] for k in ("frequency", "tickets", "monetary_kopecks", "wins_count")] == [0, 0, 0, 0]
    assert never["recency_days"] is None and never["average_check_kopecks"] is None
    assert never["favourite_game_id"] is None and never["spend_trend_30d"] is None
    assert (never["r_level"], never["f_level"], never["m_level"]) == (None, None, None)


def test_segments_by_default_thresholds(builder: MartBuilder) -> None:
    segments = {player: row["segment"] for player, row in _rows(builder).items()}
    assert segments == {
        1: "active",
        2: "new",
        3: "registered_no_purchase",
        4: "deep_churn",
        6: "vip",
        7: "at_risk",
    }


def test_segments_follow_configured_thresholds(filled_lake: Lake) -> None:
    thresholds = LifecycleThresholds(
        new_days=5,
        active_days=10,
        at_risk_days=20,
        sleeping_days=50,
        churned_days=600,
        vip_spend_90d_kopecks=2_000_000,
    )
    options = MartOptions(timezone="Europe/Moscow", lifecycle=thresholds)
    with building(filled_lake, options) as builder:
        segments = {player: row["segment"] for player, row in _rows(builder).items()}
    assert segments == {
        1: "active",
        2: "active",  # bought 7 days ago, first purchase older than 5 days
        3: "registered_no_purchase",
        4: "churned",  # 485 days ≤ 600
        6: "at_risk",  # 12 days; the VIP bar is out of reach anyway
        7: "sleeping",  # 47 days
    }


def test_bad_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="increasing"):
        LifecycleThresholds(active_days=60, at_risk_days=30)
    with pytest.raises(ValueError, match="cut points"):
        RfmThresholds(recency_days=(30,), frequency=(2, 3), monetary_kopecks=(1, 2))


def test_rfm_quantile_levels(builder: MartBuilder) -> None:
    rows = _rows(builder)
    levels = {p: (r["r_level"], r["f_level"], r["m_level"]) for p, r in rows.items() if r["frequency"]}
    # Frequencies 1, 1, 1, 3, 4: the three one-off buyers share the lowest level.
    assert levels == {1: (5, 5, 3), 2: (4, 1, 2), 4: (1, 1, 4), 6: (3, 4, 5), 7: (2, 1, 1)}


def test_rfm_threshold_levels(filled_lake: Lake) -> None:
    cuts = RfmThresholds(
        recency_days=(30, 90, 365), frequency=(2, 3, 5), monetary_kopecks=(50_000, 100_000, 1_000_000)
    )
    options = MartOptions(timezone="Europe/Moscow", rfm_thresholds=cuts)
    with building(filled_lake, options) as builder:
        rows = _rows(builder)
    levels = {p: (r["r_level"], r["f_level"], r["m_level"]) for p, r in rows.items()}
    assert levels == {
        1: (4, 3, 2),
        2: (4, 1, 2),
        3: (None, None, None),
        4: (1, 1, 3),
        6: (4, 3, 4),
        7: (3, 1, 1),
    }


def test_migration_matrix_counts_every_later_player_once(builder: MartBuilder) -> None:
    matrix = builder.migration(dt.date(2026, 3, 1), AS_OF).to_pylist()
    moves = {(m["from_segment"], m["to_segment"]): m["players"] for m in matrix}
    assert sum(moves.values()) == 6
    assert moves == {
        ("active", "active"): 1,  # player 1
        ("not_registered", "new"): 1,  # player 2
        ("registered_no_purchase", "registered_no_purchase"): 1,  # player 3
        ("deep_churn", "deep_churn"): 1,  # player 4
        ("at_risk", "vip"): 1,  # player 6: quiet since 5 January on 1 March, then big spends in spring
        ("not_registered", "at_risk"): 1,  # player 7
    }


def test_as_of_checks(builder: MartBuilder) -> None:
    with pytest.raises(AnalyticsInputError, match="future"):
        builder.check_as_of(TODAY + dt.timedelta(days=1), today=TODAY)
    with pytest.raises(AnalyticsInputError, match="before any data"):
        builder.check_as_of(dt.date(2025, 2, 1), today=TODAY)
    builder.check_as_of(dt.date(2025, 2, 2), today=TODAY)


def test_empty_lake_is_refused(lake: Lake) -> None:
    with building(lake, MartOptions(timezone="Europe/Moscow")) as builder, pytest.raises(AnalyticsInputError):
        builder.check_as_of(AS_OF, today=TODAY)
