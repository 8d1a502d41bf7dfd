"""Operator time: the day in the operator's zone (DST days included), a frozen clock, no naive datetimes."""

from __future__ import annotations

import datetime as dt

import pytest

from lottocrm import clock

UTC = dt.UTC


def test_the_operator_day_is_the_zones_not_utcs() -> None:
    late_evening_utc = dt.datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
    with clock.frozen(late_evening_utc, "Europe/Moscow"):
        assert clock.operator_day() == dt.date(2026, 3, 2)
    with clock.frozen(late_evening_utc, "America/New_York"):
        assert clock.operator_day() == dt.date(2026, 3, 1)
    with clock.frozen(late_evening_utc, "Asia/Vladivostok"):
        assert clock.local(clock.now()).hour == 8


def test_day_bounds_follow_daylight_saving() -> None:
    with clock.frozen(dt.datetime(2026, 3, 8, 12, tzinfo=UTC), "America/New_York"):
        start, end = clock.day_bounds(dt.date(2026, 3, 8))
        assert end - start == dt.timedelta(hours=23)
        assert start == dt.datetime(2026, 3, 8, 5, tzinfo=UTC)
        start, end = clock.day_bounds(dt.date(2026, 11, 1))
        assert end - start == dt.timedelta(hours=25)
    with clock.frozen(dt.datetime(2026, 3, 8, 12, tzinfo=UTC), "Europe/Moscow"):
        assert clock.day_bounds(dt.date(2026, 3, 8)) == (
            dt.datetime(2026, 3, 7, 21, tzinfo=UTC),
            dt.datetime(2026, 3, 8, 21, tzinfo=UTC),
        )


def test_a_frozen_clock_moves_only_when_told() -> None:
    with clock.frozen(dt.datetime(2026, 12, 31, 20, 59, tzinfo=UTC), "Europe/Moscow") as frozen:
        assert clock.operator_day() == dt.date(2026, 12, 31)
        frozen.advance(dt.timedelta(minutes=1))
        assert clock.operator_day() == dt.date(2027, 1, 1)
        assert clock.day_bounds_at(clock.now())[0] == dt.datetime(2026, 12, 31, 21, tzinfo=UTC)
    assert clock.now().year >= 2026


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        clock.local(dt.datetime(2026, 1, 1, 12))
    with pytest.raises(ValueError, match="aware"):
        clock.FrozenClock(dt.datetime(2026, 1, 1, 12))


def test_the_zone_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from lottocrm.settings import get_settings

    monkeypatch.setenv("LOTTOCRM_TIMEZONE", "Asia/Yekaterinburg")
    get_settings.cache_clear()
    try:
        assert str(clock.operator_zone()) == "Asia/Yekaterinburg"
    finally:
        get_settings.cache_clear()
