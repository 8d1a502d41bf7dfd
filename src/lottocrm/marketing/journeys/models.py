"""Saved journeys and their versions.

A journey is a name and a list of versions, numbered 1, 2, 3…; each version is the journey's document as
saved and never changes, so an instance started on version 2 can always say which graph it walks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

# Only drafts for now: a journey goes live when the engine that runs instances exists (issue #15).
JOURNEY_STATUSES = ("draft", "live", "paused", "archived")


class Journey(Base):
    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(choice("journey_status", JOURNEY_STATUSES), default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))


class JourneyVersion(Base):
    __tablename__ = "journey_versions"
    __table_args__ = (UniqueConstraint("journey_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))


@event.listens_for(JourneyVersion, "before_update")
def _versions_are_frozen(_mapper: object, _connection: object, target: JourneyVersion) -> None:
    raise ValueError(f"journey version {target.id} is what instances walk and cannot change: save a new one")
