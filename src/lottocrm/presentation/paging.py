"""The cursor of a list paged newest first by (time, id): the audit log, a player's tickets and wins."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class MomentCursor:
    """Where a page ended: the next page holds the rows strictly older than this (time, then id)."""

    at: dt.datetime
    id: int

    def encode(self) -> str:
        return f"{self.at.astimezone(dt.UTC).isoformat()}|{self.id}"

    @classmethod
    def decode(cls, text: str) -> MomentCursor:
        moment, separator, row_id = text.partition("|")
        at = dt.datetime.fromisoformat(moment) if separator else None
        if at is None or at.tzinfo is None or not row_id.isdigit() or len(row_id) > 19:
            raise ValueError("a page cursor is '<ISO moment with zone>|<row id>'")
        return cls(at=at, id=int(row_id))
