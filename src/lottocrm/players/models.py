"""Players, their identities, their consent history and their responsible-gaming state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lottocrm import vocab
from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

IDENTITY_CHANGES = ("removed", "replaced")


class Player(Base):
    """A registered player. ``id`` is the operator's own player id, so imports and the lake agree on it."""

    __tablename__ = "players"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    # Lower-cased, ё folded to е: the form the contact centre searches by.
    search_name: Mapped[str] = mapped_column(String(310), index=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(choice("gender", vocab.GENDERS))
    region: Mapped[str | None] = mapped_column(String(10), index=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    registration_channel: Mapped[str] = mapped_column(
        choice("registration_channel", vocab.REGISTRATION_CHANNELS)
    )
    age_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by ingestion when the birth date makes the player under 18: such players never get marketing.
    under_age: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(choice("player_status", vocab.PLAYER_STATUSES), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    identities: Mapped[list[PlayerIdentity]] = relationship(back_populates="player")


# The name search's index on PostgreSQL (players.search); on SQLite the same name is a plain B-tree, which
# the search code does not rely on.
PLAYER_NAME_TRIGRAM_INDEX = Index(
    "ix_players_search_name_trgm",
    Player.search_name,
    postgresql_using="gin",
    postgresql_ops={"search_name": "gin_trgm_ops"},
)


class PlayerIdentity(Base):
    """A phone (E.164), e-mail (lower case), loyalty card or app device id. One identity, one player."""

    __tablename__ = "player_identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(choice("identity_kind", vocab.IDENTITY_KINDS))
    value: Mapped[str] = mapped_column(String(254))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    player: Mapped[Player] = relationship(back_populates="identities")


class FormerIdentity(Base):
    """A phone or e-mail an operator removed or replaced: the value, when it was added, and who took it off,
    when and why. The live row leaves ``player_identities`` (so the number can be given to someone else),
    this copy stays: an identity is never silently lost."""

    __tablename__ = "player_identity_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(choice("identity_kind", vocab.IDENTITY_KINDS))
    value: Mapped[str] = mapped_column(String(254))
    verified: Mapped[bool] = mapped_column(Boolean)
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    change: Mapped[str] = mapped_column(choice("identity_change", IDENTITY_CHANGES))
    # The value that took its place, for a replacement.
    replaced_by: Mapped[str | None] = mapped_column(String(254))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # "user:ivanova": the name at the time, as in the audit log.
    changed_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))


class ConsentEvent(Base):
    """Append-only consent history; the current state of a (purpose, channel) is its latest event."""

    __tablename__ = "consent_events"
    __table_args__ = (Index(None, "player_id", "purpose", "channel", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(choice("consent_purpose", vocab.CONSENT_PURPOSES))
    channel: Mapped[str] = mapped_column(choice("consent_channel", vocab.CONSENT_CHANNELS))
    granted: Mapped[bool] = mapped_column(Boolean)
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(choice("consent_source", vocab.CONSENT_SOURCES))
    notice_version: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ResponsibleGaming(Base):
    """Self-exclusion, limits and flags.

    Self-excluded players never receive marketing, whatever a campaign says.
    """

    __tablename__ = "responsible_gaming"

    player_id: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"), primary_key=True)
    self_excluded_until: Mapped[dt.date | None] = mapped_column(Date, index=True)
    # The player's positive decision to come back after a self-exclusion ended, recorded by an operator.
    # Until then marketing stays stopped (UK Gambling Commission guidance): an exclusion running out is not
    # a wish to be marketed to. Cleared whenever a new exclusion is set.
    returned_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # A short cooling-off break the player asked for (hours or days): no marketing until it ends.
    timeout_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    monthly_spend_limit_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    # The last day of the month in which the player reached their spending limit: no marketing until then.
    limit_reached_until: Mapped[dt.date | None] = mapped_column(Date)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


@event.listens_for(ConsentEvent, "before_update")
def _consent_history_is_append_only(_mapper: object, _connection: object, target: ConsentEvent) -> None:
    # A consent record is evidence of what the player agreed to and when: correct it with a new event.
    raise ValueError(f"consent event {target.id} is part of the append-only history and cannot be changed")


@event.listens_for(FormerIdentity, "before_update")
def _identity_history_is_append_only(_mapper: object, _connection: object, target: FormerIdentity) -> None:
    raise ValueError(f"former identity {target.id} is part of the contact history and cannot be changed")
