"""The player's timeline: every source's entries merged newest first, one page at a time.

A page asks each source for ``limit`` entries at or before the cursor's moment, drops those at or after the
cursor itself, merges them and keeps the first ``limit``. The next page's cursor is the last entry shown, so
an entry is never shown twice and none is skipped, whatever the sources' timestamps share. A source that
fails is left out of the page (and logged, :mod:`lottocrm.players.isolation`) instead of taking the 360
down; the page says so.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session

from lottocrm.players.contrib import TimelineEntry, TimelineSource
from lottocrm.players.isolation import run_isolated

DEFAULT_PAGE = 20
MAX_PAGE = 100


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: show only what sorts strictly after (older than) this."""

    at: dt.datetime
    key: str

    def encode(self) -> str:
        return f"{self.at.astimezone(dt.UTC).isoformat()}|{self.key}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        moment, separator, key = text.partition("|")
        if not separator or not key:
            raise ValueError("a timeline cursor is '<ISO moment>|<reference>'")
        at = dt.datetime.fromisoformat(moment)
        if at.tzinfo is None:
            raise ValueError("a timeline cursor's moment carries its time zone")
        return cls(at=at, key=key)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next: Cursor | None
    failed_sources: list[str]


def timeline_page(
    session: Session,
    *,
    player_id: int,
    sources: Sequence[TimelineSource],
    after: Cursor | None = None,
    limit: int = DEFAULT_PAGE,
) -> TimelinePage:
    limit = max(1, min(limit, MAX_PAGE))
    calls = [
        (source.name, partial(_fresh_entries, session, source, player_id, after, limit)) for source in sources
    ]
    found_by_source, failed = run_isolated(session, calls)
    streams = [
        # Past the last entry of a source that filled its quota the merged order is unknown: the page ends.
        [(entry, truncated and i == len(found) - 1) for i, entry in enumerate(found)]
        for found, truncated in found_by_source
    ]
    page: list[TimelineEntry] = []
    more = False
    for entry, ends_stream in heapq.merge(*streams, key=lambda item: item[0].key, reverse=True):
        if len(page) == limit:
            more = True
            break
        page.append(entry)
        if ends_stream:
            more = True
            break
    cursor = Cursor(at=page[-1].at, key=page[-1].key[1]) if more and page else None
    return TimelinePage(entries=page, next=cursor, failed_sources=failed)


def _fresh_entries(
    session: Session, source: TimelineSource, player_id: int, after: Cursor | None, limit: int
) -> tuple[list[TimelineEntry], bool]:
    """(entries sorting after the cursor, newest first; whether the source may hold older ones).

    A source pages by moment only, so entries sharing the cursor's moment come back and are dropped here;
    when so many share it that too few are left, the source is asked again for more.
    """
    wanted = limit + 1
    asked = wanted
    while True:
        found = source.entries(session, player_id=player_id, before=after.at if after else None, limit=asked)
        fresh = [entry for entry in found if after is None or entry.key < (after.at, after.key)]
        if len(found) < asked or len(fresh) >= wanted:
            return sorted(fresh, key=lambda entry: entry.key, reverse=True), len(found) >= asked
        asked = wanted + len(found) - len(fresh)
