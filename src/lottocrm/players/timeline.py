"""The player's timeline: every source's entries merged newest first, one page at a time.

A page asks each source for ``limit`` entries at or before the cursor's moment, merges them, drops those at
or after the cursor itself and keeps the first ``limit``. The next page's cursor is the last entry shown, so
an entry is never shown twice and none is skipped, whatever the sources' timestamps share. A source that
fails is left out of the page (and logged) instead of taking the 360 down; the page says which.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lottocrm.players.contrib import TimelineEntry, TimelineSource

DEFAULT_PAGE = 20
MAX_PAGE = 100
log = logging.getLogger(__name__)


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
    asked = limit + 1
    streams: list[list[tuple[TimelineEntry, bool]]] = []
    failed: list[str] = []
    for source in sources:
        try:
            # A savepoint: a source whose query fails must not poison the request's transaction.
            with session.begin_nested():
                found = source.entries(
                    session, player_id=player_id, before=after.at if after else None, limit=asked
                )
        except Exception:
            log.exception("timeline source %s failed for player %s", source.name, player_id)
            failed.append(source.name)
            continue
        found = sorted(found, key=lambda entry: entry.key, reverse=True)
        # A source that filled its quota may hold older entries we have not seen: past its last entry,
        # the merged order is unknown, so the page ends there.
        truncated = len(found) >= asked
        streams.append([(entry, truncated and i == len(found) - 1) for i, entry in enumerate(found)])
    page: list[TimelineEntry] = []
    more = False
    for entry, ends_stream in heapq.merge(*streams, key=lambda item: item[0].key, reverse=True):
        if after is not None and entry.key >= (after.at, after.key):
            continue
        if len(page) == limit:
            more = True
            break
        page.append(entry)
        if ends_stream:
            more = True
            break
    cursor = Cursor(at=page[-1].at, key=page[-1].key[1]) if more and page else None
    return TimelinePage(entries=page, next=cursor, failed_sources=failed)
