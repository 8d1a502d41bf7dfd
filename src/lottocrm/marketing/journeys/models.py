"""Saved journeys and their versions.

A journey is a name and a list of versions, numbered 1, 2, 3…; each version is the journey's document as
saved and never changes, so an instance started on version 2 can always say which graph it walks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

JOURNEY_STATUSES = ("draft", "live", "paused", "archived")
# waiting: for a time or a trigger (``wake_at``); done: reached an exit (or, in the control, its measuring
# window ended); goal: its player did the journey's goal; ended: stopped from outside (responsible gaming).
INSTANCE_STATUSES = ("waiting", "done", "goal", "ended")


class Journey(Base):
    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(choice("journey_status", JOURNEY_STATUSES), default="draft")
    # The version new instances start on; instances keep theirs unless moved when a version goes live.
    live_version_id: Mapped[int | None] = mapped_column(BigInteger)
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


class JourneyInstance(Base):
    """One player's walk through one journey, keyed by ``key`` ("player", or "ticket:123" for a journey
    kept per ticket). At most one open instance per (journey, key): a partial unique index."""

    __tablename__ = "journey_instances"
    __table_args__ = (
        Index(
            "uq_journey_instances_open",
            "journey_id",
            "key",
            unique=True,
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
        Index("ix_journey_instances_status_wake_at", "status", "wake_at"),
        Index("ix_journey_instances_player_id", "player_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="RESTRICT"))
    version_id: Mapped[int] = mapped_column(ForeignKey("journey_versions.id", ondelete="RESTRICT"))
    player_id: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(80))
    # "control": kept out of every step, measured alike (the goal within the window) — the journey's uplift.
    arm: Mapped[str] = mapped_column(choice("journey_arm", ("treated", "control")))
    status: Mapped[str] = mapped_column(choice("journey_instance_status", INSTANCE_STATUSES))
    step: Mapped[str | None] = mapped_column(String(40))
    # When the waiting step ends by itself (its duration, or the timeout of a wait for a trigger).
    wake_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    waiting_for: Mapped[str | None] = mapped_column(String(40))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))


class JourneyVisit(Base):
    """A step an instance went through and what came of it: the counts per step, and an instance's story."""

    __tablename__ = "journey_visits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("journey_instances.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # e.g. "sent:sms", "not_sent", "yes", "no", "arm:a", "waiting", "timeout", "exit".
    outcome: Mapped[str] = mapped_column(String(60))


class JourneyCursor(Base):
    """How far a reader of a stream has got: the last ``player_events.id`` the trigger reader handled."""

    __tablename__ = "journey_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)


class JourneyOffer(Base):
    """What an offer step gave one instance on one visit: bonus points (the loyalty operation that moved
    them), a promo code (unique across campaigns and journeys), the value the marketer puts on it. One row
    per (instance, step, visit): a walk repeated after a crash gives nothing twice."""

    __tablename__ = "journey_offers"
    __table_args__ = (UniqueConstraint("instance_id", "step", "visit", name="uq_journey_offers_visit"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("journey_instances.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(40))
    visit: Mapped[int] = mapped_column(Integer)
    journey_id: Mapped[int] = mapped_column(BigInteger, index=True)
    player_id: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int | None] = mapped_column(BigInteger)
    operation_id: Mapped[int | None] = mapped_column(BigInteger)
    promo_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    value_kopecks: Mapped[int] = mapped_column(BigInteger)
    given_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
