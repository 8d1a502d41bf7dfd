"""Our filters: Russian plural forms by Babel's rules, money from kopecks, points, dates, names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lottocrm import clock
from lottocrm.messaging.templates.filters import RUSSIAN, date, first_name, grouped, money, plural, points

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (0, "баллов"),
        (1, "балл"),
        (2, "балла"),
        (4, "балла"),
        (5, "баллов"),
        (11, "баллов"),
        (12, "баллов"),
        (14, "баллов"),
        (21, "балл"),
        (22, "балла"),
        (25, "баллов"),
        (101, "балл"),
        (111, "баллов"),
        (1_000_001, "балл"),
        (-21, "балл"),
        (Decimal("1.5"), "балла"),
    ],
)
def test_plural_follows_russian_rules(n: int | Decimal, word: str) -> None:
    assert plural(n, "балл", "балла", "баллов") == word


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_plural_agrees_with_babel_for_any_whole_number(n: int) -> None:
    # The filter reads only the last two digits of large numbers (and caches); Babel reads the whole one.
    expected = {"one": "балл", "few": "балла", "many": "баллов"}[RUSSIAN.plural_form(abs(n))]
    assert plural(n, "балл", "балла", "баллов") == expected


def test_plural_refuses_what_is_not_a_number() -> None:
    with pytest.raises(TypeError, match="plural needs a whole number"):
        plural("5", "балл", "балла", "баллов")
    with pytest.raises(TypeError):
        plural(True, "балл", "балла", "баллов")


@pytest.mark.parametrize(
    ("kopecks", "shown"),
    [
        (123_450, f"1{NBSP}234,50{NBSP}₽"),
        (100_000, f"1{NBSP}000{NBSP}₽"),
        (5, f"0,05{NBSP}₽"),
        (0, f"0{NBSP}₽"),
        (250, f"2,50{NBSP}₽"),
        (123_456_789_00, f"123{NBSP}456{NBSP}789{NBSP}₽"),
        (-1_050, f"-10,50{NBSP}₽"),
    ],
)
def test_money_shows_rubles_from_kopecks(kopecks: int, shown: str) -> None:
    assert money(kopecks) == shown


def test_money_refuses_a_float() -> None:
    # A float of rubles passed as kopecks would be a hundredfold mistake; only whole kopecks are money.
    with pytest.raises(TypeError, match="money needs a whole number"):
        money(12.5)


@pytest.mark.parametrize(
    ("n", "shown"),
    [(1, f"1{NBSP}балл"), (3, f"3{NBSP}балла"), (12_450, f"12{NBSP}450{NBSP}баллов"), (21, f"21{NBSP}балл")],
)
def test_points_group_digits_and_agree_the_word(n: int, shown: str) -> None:
    assert points(n) == shown


def test_number_groups_thousands() -> None:
    assert grouped(1_234_567) == f"1{NBSP}234{NBSP}567"


def test_date_in_russian_genitive() -> None:
    assert date(dt.date(2026, 12, 5)) == "5 декабря"
    assert date(dt.date(2026, 3, 8), year=True) == "8 марта 2026"


def test_date_of_a_moment_is_the_operators_calendar_day() -> None:
    late_evening_utc = dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC)
    with clock.frozen(late_evening_utc, zone="Europe/Moscow"):
        assert date(late_evening_utc) == "1 января"
    with clock.frozen(late_evening_utc, zone="Europe/Kaliningrad"):
        assert date(late_evening_utc) == "1 января"
    with clock.frozen(late_evening_utc, zone="Atlantic/Azores"):
        assert date(late_evening_utc) == "31 декабря"


def test_date_refuses_text() -> None:
    with pytest.raises(TypeError, match="date needs a date"):
        date("2026-12-05")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("иван", "Иван"),
        ("  ОЛЬГА ", "Ольга"),
        ("анна-мария", "Анна-Мария"),
        ("жан  поль", "Жан Поль"),
        ("", "друг"),
        ("   ", "друг"),
        (None, "друг"),
    ],
)
def test_first_name_as_a_greeting_writes_it(value: str | None, shown: str) -> None:
    assert first_name(value, "друг") == shown


def test_a_value_not_known_shows_as_nothing_through_every_filter() -> None:
    # The dispatcher gives None for what the stores do not know (no loyalty account, never scored): the
    # message leaves without it rather than failing.
    shown = (
        plural(None, "балл", "балла", "баллов"),
        grouped(None),
        money(None),
        points(None),
        date(None),
        date(None, year=True),
    )
    assert shown == ("",) * 6
