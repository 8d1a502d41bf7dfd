"""The filters a template may use: ours for Russian money, points, dates, plurals and names, and a few
harmless text ones of Jinja's. Nothing else: Jinja's other built-ins (``format``, ``attr``, ``map``,
``indent``, ``wordwrap``…) reach attributes or build large strings, and a template needs none of them.

Numbers are grouped as Russian readers expect ("12 450", with a no-break space, so a line never breaks
inside a number) and plural forms follow Babel's CLDR rules for Russian: one (1, 21, 101), few (2–4,
22–24), many (0, 5–20, 25…, 111), and a fraction takes the "few" form ("1,5 балла").

A variable given as None (a player with no loyalty account, never scored) shows as nothing through every
filter too, as it does unfiltered: ``{{ loyalty_balance|points }}`` is empty, not a failed message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import parse_pattern
from jinja2 import Undefined
from jinja2.filters import FILTERS as JINJA_FILTERS

from lottocrm import clock

RUSSIAN = Locale.parse("ru")
NO_BREAK_SPACE = "\u00a0"
RUBLE_SIGN = "₽"
_PLURAL_FORM_INDEX = {"one": 0, "few": 1, "many": 2, "other": 1}

Number = int | Decimal
_WHOLE = parse_pattern("#,##0")
_WITH_KOPECKS = parse_pattern("#,##0.00")


def _defined(value: object) -> None:
    # A filter receives a missing variable as Jinja's StrictUndefined; turning it into text raises the
    # UndefinedError that names the variable, clearer than "needs a number, got Undefined".
    if isinstance(value, Undefined):
        str(value)


def _number(value: object, filter_name: str) -> Number:
    _defined(value)
    # bool is an int to Python, never an amount to a player.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"{filter_name} needs a whole number, got {value!r}")
    return value


def plural(n: object, one: str, few: str, many: str) -> str:
    """The word for ``n`` things: ``{{ n|plural("балл", "балла", "баллов") }}`` → балл / балла / баллов."""
    if n is None:
        return ""
    count = abs(_number(n, "plural"))
    if isinstance(count, int) and count >= 100:
        # Russian's rules read only a whole number's last two digits (CLDR: i % 10 and i % 100), so 12 450
        # asks what 50 would: the cache below then holds at most 100 whole numbers.
        count %= 100
    return (one, few, many)[_plural_index(count)]


# Babel evaluates the CLDR rule afresh each time (~15 µs), and a campaign asks about the same numbers
# hundreds of thousands of times. Number patterns are parsed once and date texts cached for the same reason.
@lru_cache(maxsize=1024)
def _plural_index(count: Number) -> int:
    return _PLURAL_FORM_INDEX[RUSSIAN.plural_form(count)]


def grouped(n: object) -> str:
    """A whole number with its thousands grouped: 1234567 → "1 234 567"."""
    if n is None:
        return ""
    return _WHOLE.apply(_number(n, "number"), RUSSIAN)


def money(kopecks: object) -> str:
    """An amount in kopecks as rubles: 123450 → "1 234,50 ₽", 100000 → "1 000 ₽" (whole rubles show no
    kopecks: shorter, and an SMS counts every character)."""
    if kopecks is None:
        return ""
    amount = _number(kopecks, "money")
    pattern = _WHOLE if amount % 100 == 0 else _WITH_KOPECKS
    return pattern.apply(Decimal(amount) / 100, RUSSIAN) + NO_BREAK_SPACE + RUBLE_SIGN


def points(n: object) -> str:
    """Loyalty points with their word: 1 → "1 балл", 12450 → "12 450 баллов"."""
    if n is None:
        return ""
    return grouped(n) + NO_BREAK_SPACE + plural(n, "балл", "балла", "баллов")


def date(value: object, year: bool = False) -> str:
    """A date as Russian text: "5 декабря" (``year=True``: "5 декабря 2026"). A moment is first put on
    the operator's calendar."""
    if value is None:
        return ""
    _defined(value)
    if isinstance(value, dt.datetime):
        day = clock.local(value).date()
    elif isinstance(value, dt.date):
        day = value
    else:
        raise TypeError(f"date needs a date, got {value!r}")
    return _day_text(day, year)


@lru_cache(maxsize=1024)
def _day_text(day: dt.date, year: bool) -> str:
    return format_date(day, format="d MMMM y" if year else "d MMMM", locale=RUSSIAN)


def first_name(value: object, fallback: str = "") -> str:
    """A name as a greeting writes it: trimmed, each part capitalised ("анна-мария" → "Анна-Мария"), or
    ``fallback`` when there is none: ``Здравствуйте, {{ first_name|first_name("друг") }}!``."""
    if value is None or not str(value).strip():
        return fallback
    return " ".join(
        "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
        for word in str(value).split()
    )


_JINJA_TEXT_FILTERS = ("default", "upper", "lower", "capitalize", "trim")

FILTERS: dict[str, Callable[..., Any]] = {
    **{name: JINJA_FILTERS[name] for name in _JINJA_TEXT_FILTERS},
    "plural": plural,
    "number": grouped,
    "money": money,
    "points": points,
    "date": date,
    "first_name": first_name,
}
