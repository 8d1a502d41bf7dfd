"""Typed values as text in one language: the formats (money, numbers, dates) and the message catalog of a
locale. Pages use it through the ``panel_value`` template filter; anything else that shows values to a
person (an export, a message) calls :func:`as_text`."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from babel.numbers import format_percent

from lottocrm.presentation import values as pv


class LocaleFormats(Protocol):
    """What a locale formats: ``lottocrm.web.i18n.Formats`` is one."""

    babel: Any

    def money(self, kopecks: int | None) -> str: ...

    def number(self, value: float | int | None, digits: int = 0) -> str: ...

    def date(self, value: dt.date | dt.datetime | None) -> str: ...

    def datetime(self, value: dt.datetime | None) -> str: ...


class Catalog(Protocol):
    def gettext(self, message: str) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...


def as_text(value: pv.PanelValue, fmt: LocaleFormats, catalog: Catalog) -> str:
    match value:
        case pv.Text(text):
            return text
        case pv.Message(msgid, None):
            return catalog.gettext(msgid)
        case pv.Message(msgid, context):
            return catalog.pgettext(context, msgid)
        case pv.Sentence(msgid, values):
            return catalog.gettext(msgid) % {name: as_text(part, fmt, catalog) for name, part in values}
        case pv.Phrase(words, context):
            translate = (lambda word: catalog.pgettext(context, word)) if context else catalog.gettext
            sentence = " ".join(translate(word) for word in words)
            return sentence[:1].upper() + sentence[1:]
        case pv.Money(kopecks):
            return fmt.money(kopecks)
        case pv.Number(None) | pv.Share(None):
            return pv.NO_VALUE
        case pv.Number(number, digits, prefix, signed):
            return prefix + ("+" if signed and number > 0 else "") + fmt.number(number, digits)
        case pv.Share(share):
            return format_percent(share, locale=fmt.babel)
        case pv.Day(day):
            return fmt.date(day)
        case pv.Moment():
            return fmt.datetime(value.aware())
        case pv.Days(count):
            return catalog.gettext("%(days)s d") % {"days": fmt.number(count)}
        case pv.Joined(parts, separator):
            return separator.join(as_text(part, fmt, catalog) for part in parts)
    raise TypeError(f"not a panel value: {value!r}")
