"""Russian and English UI: gettext catalogs compiled by Babel, ru-RU formats for money and dates.

English strings are the message ids, so English needs no catalog; ``locale/ru/LC_MESSAGES/messages.mo`` is
compiled from ``messages.po`` and committed, so a fresh clone needs no build step.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone_location
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

from lottocrm.errors import ServiceError, fill

LOCALES = ("ru", "en")
DEFAULT_LOCALE = "ru"
LOCALE_DIR = Path(__file__).with_name("locale")
_BABEL_LOCALE = {"ru": "ru_RU", "en": "en_GB"}


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def refusal(exc: ServiceError, locale: str) -> str:
    """A service's refusal in ``locale``: its template translated, then filled with its values (the terms
    among them translated too). The API and the CLI show ``exc.message``, the English text."""
    catalog = translations(locale)
    return fill(catalog.gettext(exc.template), exc.params, catalog.gettext)


def pick_locale(*candidates: str | None, accept_language: str | None = None) -> str:
    for candidate in candidates:
        if candidate in LOCALES:
            return candidate
    if accept_language:
        for part in accept_language.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LOCALES:
                return code
    return DEFAULT_LOCALE


class Formats:
    """Money (integer kopecks), numbers and times for one locale, times shown in the operator's zone."""

    def __init__(self, locale: str, timezone: str) -> None:
        self.babel = Locale.parse(_BABEL_LOCALE[locale])
        self.zone = ZoneInfo(timezone)

    def money(self, kopecks: int | None) -> str:
        if kopecks is None:
            return "—"
        return format_currency(Decimal(int(kopecks)) / 100, "RUB", locale=self.babel)

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.babel)

    def date(self, value: dt.date | dt.datetime | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.zone).date()
        return format_date(value, format="medium", locale=self.babel)

    def month(self, value: dt.date | None) -> str:
        """A calendar month as a reader names it on its own: "ноябрь 2026", "November 2026"."""
        if value is None:
            return "—"
        return format_date(value, format="LLLL y", locale=self.babel)

    def weekday(self, value: dt.date) -> str:
        """A day of the week as a calendar's column heads it: "пн", "Mon"."""
        return format_date(value, format="EEE", locale=self.babel)

    def time(self, value: dt.datetime) -> str:
        """The operator's wall-clock time of a moment, "09:30"."""
        return format_datetime(value, format="HH:mm", tzinfo=self.zone, locale=self.babel)

    def time_zone(self, name: str) -> str:
        """A time zone as a reader knows it: its city ("Москва"), not its IANA name."""
        return get_timezone_location(ZoneInfo(name), locale=self.babel, return_city=True)

    def datetime(self, value: dt.datetime | None) -> str:
        if value is None:
            return "—"
        return format_datetime(value, format="dd.MM.yyyy HH:mm", tzinfo=self.zone, locale=self.babel)
