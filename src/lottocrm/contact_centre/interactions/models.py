"""Interactions: one row per contact, and what it was about (tickets, draws, wins)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

CHANNELS = ("call", "email", "chat", "messenger", "sms", "visit")
DIRECTIONS = ("inbound", "outbound")
LINK_KINDS = ("ticket", "draw", "win")
# Channels where an operator answers the player there and then: an inbound call, chat or visit is a reply
# as well as the player's contact. An inbound e-mail, SMS or messenger message only waits for one.
LIVE_CHANNELS = frozenset({"call", "chat", "visit"})


class Interaction(Base):
    """A contact: who, where, which way, how long (talk, hold and after-call work, in seconds), why (the
    queue's wrap-up code), what was said (notes, a recording's reference) and the case it belongs to."""

    __tablename__ = "cc_interactions"
    __table_args__ = (
        Index("ix_cc_interactions_player", "player_id", "started_at"),
        Index("ix_cc_interactions_operator", "operator", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    player_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("players.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(choice("cc_channel", CHANNELS))
    direction: Mapped[str] = mapped_column(choice("cc_direction", DIRECTIONS))
    queue: Mapped[str] = mapped_column(String(40), ForeignKey("cc_queues.code"))
    operator: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    talk_seconds: Mapped[int] = mapped_column(Integer, default=0)
    hold_seconds: Mapped[int] = mapped_column(Integer, default=0)
    acw_seconds: Mapped[int] = mapped_column(Integer, default=0)
    wrap_code: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    recording_ref: Mapped[str | None] = mapped_column(String(300))
    case_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cc_cases.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class InteractionLink(Base):
    """A ticket, draw or win the contact was about (tickets and wins live in the lake: ids, not keys)."""

    __tablename__ = "cc_interaction_links"

    interaction_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cc_interactions.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(choice("cc_interaction_link", LINK_KINDS), primary_key=True)
    ref_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
