"""Churn models and scores in the operational store.

``churn_models`` registers every artifact (the files under ``<data>/models/churn/<version>/`` stay the source
of truth, hash-checked on load); ``churn_scores`` holds one probability per player, as-of date and model
version. A rerun of the same as-of date and version replaces its rows (the primary key starts with both, so
the delete is a range scan); the 360 view reads a player's latest score through the player index.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime


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
