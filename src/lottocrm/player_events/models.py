"""The accepted events (a stream read in order of ``id``) and the dead letters (what was refused, and why)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice
from lottocrm.player_events.kinds import EVENT_CHANNELS, KINDS

MAX_EVENT_ID = 64
MAX_DEVICE_ID = 128


class PlayerEvent(Base):
    """One accepted event. ``id`` is the arrival order, the position a reader (a journey's trigger) keeps;
    ``event_id`` is the sender's id, unique, so a batch sent twice is stored once."""

    __tablename__ = "player_events"
    __table_args__ = (Index("ix_player_events_player_id_occurred_at", "player_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(MAX_EVENT_ID), unique=True)
    type: Mapped[str] = mapped_column(choice("player_event_type", tuple(KINDS)))
    channel: Mapped[str] = mapped_column(choice("player_event_channel", EVENT_CHANNELS))
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    # The player the store knows; None for an anonymous event (no player, or one the store does not know).
    player_id: Mapped[int | None] = mapped_column(ForeignKey("players.id", ondelete="SET NULL"))
    # The account id as sent, kept when the store did not know it yet, so the event can be linked later.
    claimed_player_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    device_id: Mapped[str | None] = mapped_column(String(MAX_DEVICE_ID), index=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The API key that sent it (its public prefix).
    source: Mapped[str] = mapped_column(String(40))


class DeadLetter(Base):
    """An event the API refused, kept as it was sent with the reason, so that the website's developers can
    see what to fix and nothing sent is lost."""

    __tablename__ = "player_event_dead_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    source: Mapped[str] = mapped_column(String(40))
    # Position of the event in its batch, and the id and type it claimed (cut to the column when too long).
    position: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str | None] = mapped_column(String(MAX_EVENT_ID))
    type: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(40))
    # Where in the event: a dotted path such as "properties.amount_kopecks"; empty for the whole event.
    field: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)
    # The event as sent; a body too large to keep is replaced by a note saying so.
    body: Mapped[Any] = mapped_column(JSON)
