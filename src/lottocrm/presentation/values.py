"""Typed values: what a screen means (money, a share, a date, message ids), not how it reads.

A provider has no locale, so it cannot format "12 500,00 ₽" or translate a segment name itself. It builds
rows of these values with :func:`panel`; the API gets each value's English text (``rows``), the page renders
the typed ``values`` in the reader's language (:mod:`lottocrm.presentation.render`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

NO_VALUE = "—"


@dataclass(frozen=True)
class Text:
    """Data shown as it is in every language: a game name, a model version."""

    text: str


@dataclass(frozen=True)
class Message:
    """A message id the page translates (a segment name, a band, a model name)."""

    msgid: str
    context: str | None = None


@dataclass(frozen=True)
class Sentence:
    """A message id with ``%(name)s`` placeholders filled by typed values, each formatted in the page's
    locale ("players like this one play %(game)s %(lift)s× as often")."""

    msgid: str
    values: tuple[tuple[str, PanelValue], ...]


@dataclass(frozen=True)
class Phrase:
    """Message ids read as one phrase: each translated, joined by spaces, the first letter a capital.

    Works for both languages when the words are adjectives in front of a noun phrase ("active high-value
    draw-game players" / "активные высокодоходные игроки тиражных лотерей")."""

    words: tuple[str, ...]
    context: str | None = None


@dataclass(frozen=True)
class Money:
    kopecks: int | None


@dataclass(frozen=True)
class Number:
    value: float | int | None
    digits: int = 0
    prefix: str = ""
    signed: bool = False


@dataclass(frozen=True)
class Share:
    """A fraction in [0, 1], shown as a whole percentage."""

    value: float | None


@dataclass(frozen=True)
class Day:
    value: dt.date | None


@dataclass(frozen=True)
class Moment:
    """A point in time: an aware datetime, or the ISO text a raw SQLite query returns (taken as UTC)."""

    value: dt.datetime | str | None

    def aware(self) -> dt.datetime | None:
        value = dt.datetime.fromisoformat(self.value) if isinstance(self.value, str) else self.value
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


@dataclass(frozen=True)
class Days:
    """A span of days, such as a model's horizon: "30 d" / "30 дн."."""

    count: int


@dataclass(frozen=True)
class Joined:
    parts: tuple[PanelValue, ...]
    separator: str = " · "


PanelValue = Text | Message | Sentence | Phrase | Money | Number | Share | Day | Moment | Days | Joined


class PanelOut(BaseModel):
    """A panel of the 360 (or any screen): rows of label and English text."""

    key: str
    title: str
    rows: list[tuple[str, str]]


class LocalisedPanel(PanelOut):
    """A panel whose rows also carry typed values. The API serialises it as a plain ``PanelOut`` (English
    text); the page, which receives the instance itself, formats ``values`` in the reader's locale."""

    values: tuple[Any, ...] = ()


def english(value: PanelValue) -> str:
    """The value as the API (and the English page's fallback) shows it."""
    match value:
        case Text(text) | Message(text):
            return text
        case Sentence(msgid, values):
            return msgid % {name: english(part) for name, part in values}
        case Phrase(words):
            sentence = " ".join(words)
            return sentence[:1].upper() + sentence[1:]
        case Money(None) | Number(None) | Share(None) | Day(None) | Moment(None):
            return NO_VALUE
        case Money(kopecks):
            # A non-breaking thousands separator never wraps inside a number.
            return f"{kopecks / 100:,.2f} ₽".replace(",", "\u00a0")
        case Number(number, digits, prefix, signed):
            text = f"{number:+,.{digits}f}" if signed else f"{number:,.{digits}f}"
            return prefix + text.replace(",", "\u00a0")
        case Share(share):
            return f"{share:.0%}"
        case Day(day):
            return day.isoformat()
        case Moment():
            moment = value.aware()
            assert moment is not None
            return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        case Days(count):
            return f"{count} d"
        case Joined(parts, separator):
            return separator.join(english(part) for part in parts)
    raise TypeError(f"not a panel value: {value!r}")


def panel(key: str, title: str, rows: list[tuple[str, PanelValue]]) -> LocalisedPanel:
    return LocalisedPanel(
        key=key,
        title=title,
        rows=[(label, english(value)) for label, value in rows],
        values=tuple(value for _label, value in rows),
    )
