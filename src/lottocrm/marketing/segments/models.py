"""Saved segments and their versions.

A segment is a name for people and a list of versions, numbered 1, 2, 3…; each version is the condition
document as it was saved and never changes, so a campaign approved on version 3 can always say exactly whom
it meant, even after the marketer edits the segment. The newest version is the segment's current meaning.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, event
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
