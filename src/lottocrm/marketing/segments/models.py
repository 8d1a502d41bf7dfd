"""Saved segments and their versions.

A segment is a name for people and a list of versions, numbered 1, 2, 3…; each version is the condition
document as it was saved and never changes, so a campaign approved on version 3 can always say exactly whom
it meant, even after the marketer edits the segment. The newest version is the segment's current meaning.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime


class Segment(Base):
    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # "user:ivanova": the actor's name at the time, as in the audit log.
    created_by: Mapped[str] = mapped_column(String(100))
    archived_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class SegmentVersion(Base):
    __tablename__ = "segment_versions"
    __table_args__ = (UniqueConstraint("segment_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))


@event.listens_for(SegmentVersion, "before_update")
def _versions_are_frozen(_mapper: object, _connection: object, target: SegmentVersion) -> None:
    raise ValueError(f"segment version {target.id} is what campaigns cite and cannot change: save a new one")


class SegmentBehaviour(Base):
    """Staged lake aggregates a segment's audience joins: one row per (batch, spec, player with activity).

    A batch is one audience's frame; a spec one (window, game) or draw, or one campaign's responders, that the
    segment names. A player without a row had no activity there (0 tickets, no last purchase). Rows live for
    the transaction that stages them; batches older than a day are deleted when a new one is staged.
    """

    __tablename__ = "segment_behaviour"

    batch: Mapped[str] = mapped_column(String(32), primary_key=True)
    spec: Mapped[int] = mapped_column(Integer, primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tickets: Mapped[int] = mapped_column(BigInteger)
    spend_kopecks: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[int] = mapped_column(Integer)
    last_sold_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    wins: Mapped[int] = mapped_column(BigInteger)
    wins_kopecks: Mapped[int] = mapped_column(BigInteger)
    staged_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
