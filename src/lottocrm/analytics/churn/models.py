"""Churn models and scores in the operational store.

``churn_models`` registers every artifact (the files under ``<data>/models/churn/<version>/`` stay the source
of truth, hash-checked on load); ``churn_scores`` holds one probability per player, as-of date and model
version. A rerun of the same as-of date and version replaces its rows (the primary key starts with both, so
the delete is a range scan); the 360 view reads a player's latest score through the player index.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime
from lottocrm.db.types import choice


class ChurnModelRecord(Base):
    __tablename__ = "churn_models"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    training_as_of: Mapped[dt.date] = mapped_column(Date)
    window_days: Mapped[int] = mapped_column(Integer)
    training_rows: Mapped[int] = mapped_column(Integer)
    model_sha256: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ChurnScore(Base):
    __tablename__ = "churn_scores"
    __table_args__ = (Index("ix_churn_scores_player_id_as_of", "player_id", "as_of"),)

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    probability: Mapped[float] = mapped_column(Float)
    risk_band: Mapped[str] = mapped_column(String(10))


class ChurnAlert(Base):
    """Whether a player is at high churn risk now, as the crossings decided it (with hysteresis): a player
    enters at the high band's cut-off and leaves only below a lower one, so a score wobbling around the
    cut-off does not start a churn-prevention journey every night."""

    __tablename__ = "churn_alerts"

    player_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    high: Mapped[bool] = mapped_column(Boolean)
    # The scoring day on which the player last crossed.
    since: Mapped[dt.date] = mapped_column(Date)


class ChurnCrossing(Base):
    """A player crossing into or out of high risk at one scoring run."""

    __tablename__ = "churn_crossings"

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    direction: Mapped[str] = mapped_column(choice("churn_crossing_direction", ("entered", "left")))
    probability: Mapped[float] = mapped_column(Float)


class ChurnCrossingRun(Base):
    """Each scoring run whose crossings were counted: a later run of an earlier day does not count them
    again (the alerts already moved past it)."""

    __tablename__ = "churn_crossing_runs"

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    enter_at: Mapped[float] = mapped_column(Float)
    leave_below: Mapped[float] = mapped_column(Float)
    entered: Mapped[int] = mapped_column(Integer)
    left: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
