"""Lifetime-value fits and per-player scores in the operational store.

``clv_fits`` keeps the parameters fitted for a calibration end, so scoring can reuse them; ``player_clv``
holds one row per player and as-of date (the calibration end) for the 360 view and the demo. A rerun of an
as-of date replaces its rows (the primary key starts with the date, so the delete is a range scan); the 360
view reads a player's latest row through the player index.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime


class ClvFit(Base):
    __tablename__ = "clv_fits"

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    model: Mapped[str] = mapped_column(String(10))
    transaction: Mapped[str] = mapped_column(String(10))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    spend_params: Mapped[dict[str, Any]] = mapped_column(JSON)
    log_likelihood: Mapped[float] = mapped_column(Float)
    players: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class PlayerClv(Base):
    __tablename__ = "player_clv"
    __table_args__ = (Index("ix_player_clv_player_id_as_of", "player_id", "as_of"),)

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    model: Mapped[str] = mapped_column(String(10))
    probability_alive: Mapped[float] = mapped_column(Float)
    expected_purchases: Mapped[float] = mapped_column(Float)
    horizon_days: Mapped[int] = mapped_column(Integer)
    expected_spend_kopecks: Mapped[int] = mapped_column(BigInteger)
    clv_kopecks: Mapped[int] = mapped_column(BigInteger)
    discount_rate: Mapped[float] = mapped_column(Float)
