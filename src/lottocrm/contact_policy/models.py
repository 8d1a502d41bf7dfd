"""The contact policy's tables: its versions, the contact history, the cap ledger and unreachable contact
points."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm import vocab
from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

MESSAGE_CLASSES = ("legal", "service", "marketing")
# Every fact the contact history keeps about a message, from the gate's decision to the player's click.
OUTCOMES = (
    "permitted",
    "blocked",
    "held",
    "control",
    "sent",
    "delivered",
    "failed",
    "bounced",
    "opened",
    "clicked",
    "unsubscribed",
)
SOURCE_KINDS = ("campaign", "journey", "case", "survey", "banner", "operator", "test", "system")


class PolicyVersion(Base):
    """One version of the policy's settings (caps, quiet hours); the highest id is in force. Versions are
    only added, so every contact-history row can say which rules it was decided under."""

    __tablename__ = "contact_policy_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))


class ContactHistory(Base):
    """Append-only: one row per decision and per outcome of a message (38-FZ puts the proof on the sender).

    ``consent_event_id`` is the consent-ledger row a marketing permit relied on; ``policy_version`` the rules
    it was decided under (0: the built-in defaults, before an admin saved any).
    """

    __tablename__ = "contact_history"
    __table_args__ = (
        Index("ix_contact_history_player_at", "player_id", "at"),
        Index("ix_contact_history_message", "message_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    player_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("players.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    message_class: Mapped[str] = mapped_column(choice("message_class", MESSAGE_CLASSES))
    outcome: Mapped[str] = mapped_column(choice("contact_outcome", OUTCOMES))
    # The first rule that blocked or held the message ("consent_withdrawn", "cap", "quiet_hours"…).
    reason: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    contact_point: Mapped[str | None] = mapped_column(String(254))
    source_kind: Mapped[str] = mapped_column(choice("contact_source_kind", SOURCE_KINDS))
    source_id: Mapped[str | None] = mapped_column(String(100))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    policy_version: Mapped[int] = mapped_column(Integer)
    consent_event_id: Mapped[int | None] = mapped_column(BigInteger)


class ContactTouch(Base):
    """The cap ledger: one row per message that counts against a cap, written when the message is reserved
    for sending (so two dispatch workers cannot both take the last place) and removed only if the provider
    never took it."""

    __tablename__ = "contact_touches"
    __table_args__ = (
        Index("ix_contact_touches_player_at", "player_id", "at"),
        Index("ix_contact_touches_point_at", "contact_point", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("players.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    contact_point: Mapped[str] = mapped_column(String(254))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)


class UnreachablePoint(Base):
    """A phone or e-mail address that cannot be reached (a hard bounce, an unknown number) or a push
    device that is gone: no message of any class is sent to it until it is confirmed again."""

    __tablename__ = "contact_unreachable"

    contact_point: Mapped[str] = mapped_column(String(254), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    since: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class CapExemption(Base):
    """A campaign (or another source of messages) let past the caps by someone whose role has that right:
    responsible gaming, age, consent, reachability and quiet hours still apply. Active until revoked; both
    audited."""

    __tablename__ = "contact_cap_exemptions"
    __table_args__ = (Index("ix_contact_cap_exemptions_source", "source_kind", "source_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_kind: Mapped[str] = mapped_column(choice("contact_source_kind", SOURCE_KINDS))
    source_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


def _channel_columns(channel: str) -> list[Column[object]]:
    return [
        # The latest advertising and service consent events on the channel (the permit cites them).
        Column(f"{channel}_consent_event", BigInteger),
        Column(f"{channel}_consent_granted", Boolean),
        Column(f"{channel}_consent_at", UtcDateTime),
        Column(f"{channel}_service_event", BigInteger),
        Column(f"{channel}_service_granted", Boolean),
        Column(f"{channel}_service_at", UtcDateTime),
        # Why the channel's contact point cannot be reached, if it cannot.
        Column(f"{channel}_unreachable", String(40)),
        Column(f"{channel}_unreachable_since", UtcDateTime),
        # The first moment the caps no longer stop a capped message (NULL: they do not now).
        Column(f"{channel}_cap_ends", UtcDateTime),
        # The first moment a marketing message may go on the channel, every check but age folded in
        # (``standing.NEVER`` while something with no end stops it: a refusal, a missing address...).
        Column(f"{channel}_marketing_from", UtcDateTime, nullable=False),
    ]


# One row per player: what the gate needs, kept by ``standing.py`` in the transaction that changes a fact
# (a consent, a responsible-gaming state, an identity, a touch), so that ``decide`` reads one row and an
# audience count of 2·10^7 players is one index range per channel. The facts stay where they are (the
# consent ledger, the identities, the cap ledger); this row is derived from them and can be rebuilt.
contactability = Table(
    "contactability",
    Base.metadata,
    Column("player_id", BigInteger, ForeignKey("players.id", ondelete="CASCADE"), primary_key=True),
    Column("refreshed_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),
    Column("region", String(10)),
    Column("under_age", Boolean, nullable=False),
    Column("birth_date", Date),
    # The start of the operator day the player turns 18 (NULL: age unknown; NEVER: flagged under age).
    Column("adult_from", UtcDateTime),
    Column("self_excluded_until", Date),
    Column("returned_at", UtcDateTime),
    Column("timeout_until", UtcDateTime),
    Column("limit_reached_until", Date),
    Column("personal_data_event", BigInteger),
    Column("personal_data_granted", Boolean),
    Column("personal_data_at", UtcDateTime),
    Column("phone", String(254)),
    Column("email", String(254)),
    Column("device", String(254)),
    *[column for channel in vocab.CONSENT_CHANNELS for column in _channel_columns(channel)],
    *[
        Index(f"ix_contactability_{channel}_marketing", f"{channel}_marketing_from", "adult_from")
        for channel in vocab.CONSENT_CHANNELS
    ],
)


@event.listens_for(ContactHistory, "before_update")
def _history_is_append_only(_mapper: object, _connection: object, target: ContactHistory) -> None:
    raise ValueError(f"contact history row {target.id} is evidence and cannot be changed: add a row instead")
