"""Persons behind registrations, the pairs that link them, the review queue and the runs that made them.

A *person* is two or more player registrations found to be one human; a player alone has no person row
(20 M players, a few million persons: the tables hold only what resolution found). Person ids are
allocated by the run and survive reruns (:func:`lottocrm.identity.clusters.stable_ids`); a person whose
registrations fell apart is kept as ``dissolved`` so its id is never reused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

RUN_MODES = ("full", "incremental")
PERSON_STATUSES = ("active", "dissolved")
PAIR_BANDS = ("exact", "certain", "probable")
REVIEW_REASONS = ("probable", "guard")
REVIEW_STATUSES = ("pending", "accepted", "rejected", "not_sure")


class ResolutionRun(Base):
    """One ``identity resolve``: its settings, what it found, and the trained model (Splink JSON)."""

    __tablename__ = "identity_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mode: Mapped[str] = mapped_column(choice("identity_run_mode", RUN_MODES))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    certain: Mapped[float] = mapped_column(Float)
    probable: Mapped[float] = mapped_column(Float)
    max_size: Mapped[int] = mapped_column(Integer)
    min_density: Mapped[float] = mapped_column(Float)
    # The newest player creation time this run saw: an incremental run takes the players created after it.
    players_through: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    # The model this run scored with; an incremental run reuses the last full run's.
    model: Mapped[str | None] = mapped_column(Text)


class Person(Base):
    __tablename__ = "identity_persons"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(choice("identity_person_status", PERSON_STATUSES), default="active")
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_run_id: Mapped[int] = mapped_column(ForeignKey("identity_runs.id"))


class PersonMember(Base):
    """A registration's person. One person per player at a time."""

    __tablename__ = "identity_person_members"

    player_id: Mapped[int] = mapped_column(
        ForeignKey("players.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("identity_persons.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("identity_runs.id"))


class CandidatePair(Base):
    """A pair the last runs linked or nearly linked: its probability and, per compared field, the level
    that fired and its weight in bits (``{"last_name": ["same", 7.1], …}``); exact links name their key."""

    __tablename__ = "identity_candidate_pairs"
    __table_args__ = (UniqueConstraint("player_a", "player_b"), Index(None, "player_b"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("identity_runs.id"), index=True)
    player_a: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"))
    player_b: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"))
    band: Mapped[str] = mapped_column(choice("identity_pair_band", PAIR_BANDS))
    probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)


class ReviewItem(Base):
    """A pair for a data steward: probable but not certain, or certain but kept apart by a guard. The
    decision is a label: accepted pairs link on every later run, rejected ones never do."""

    __tablename__ = "identity_review_items"
    __table_args__ = (UniqueConstraint("player_a", "player_b"), Index(None, "status", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("identity_runs.id"))
    player_a: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"))
    player_b: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(choice("identity_review_reason", REVIEW_REASONS))
    probability: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(choice("identity_review_status", REVIEW_STATUSES), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
