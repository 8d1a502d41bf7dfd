"""Stored propensity results, versioned by as-of date: top game propensities, next games to offer, the run.

A rerun of an as-of date replaces that date's rows (primary keys start with as_of); the 360 view reads a
player's latest rows through the (player_id, as_of) indexes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime


class PlayerGamePropensity(Base):
    """A player's most likely games in the next horizon (the top few, not every game)."""

    __tablename__ = "player_game_propensity"
    __table_args__ = (Index("ix_player_game_propensity_player_id_as_of", "player_id", "as_of"),)

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    rank: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    game_id: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float)
    played_before: Mapped[bool] = mapped_column(Boolean)


class PlayerNextGame(Base):
    """Games to offer a player, best first: games never bought yet, scored by propensity × lift.

    The reason is data, rendered in the reader's language by ``panels.py``: ``reason_kind`` is "rule" (the
    cross-sell rule that boosted the game: ``reason_detail`` = antecedent game ids and confidence, the lift
    in ``lift``), "propensity" (no rule fires; no detail) or "first_game" (a player with no purchase yet:
    the game recent first-time buyers like them chose first; detail = channel, region, buyers, share, days).
    """

    __tablename__ = "player_next_game"
    __table_args__ = (Index("ix_player_next_game_player_id_as_of", "player_id", "as_of"),)

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    rank: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    game_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    propensity: Mapped[float] = mapped_column(Float)
    lift: Mapped[float | None] = mapped_column(Float)
    reason_kind: Mapped[str] = mapped_column(String(20))
    reason_detail: Mapped[dict | None] = mapped_column(JSON)


class PropensityRun(Base):
    """What produced an as-of date's scores: model, windows, holdout quality and the rules used."""

    __tablename__ = "propensity_runs"

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(40))
    horizon_days: Mapped[int] = mapped_column(Integer)
    train_as_of: Mapped[dt.date] = mapped_column(Date)
    holdout_as_of: Mapped[dt.date] = mapped_column(Date)
    auc: Mapped[float | None] = mapped_column(Float)
    baseline_auc: Mapped[float | None] = mapped_column(Float)
    # Per game: rows, positives, auc, baseline_auc; and the rule settings with the number of rules found.
    metrics: Mapped[dict] = mapped_column(JSON)
    players: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
