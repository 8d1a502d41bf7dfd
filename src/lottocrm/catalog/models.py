"""Games, their draw calendar and the points of sale that sell tickets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm import vocab
from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice


class Game(Base):
    __tablename__ = "games"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(choice("game_kind", vocab.GAME_KINDS))
    ticket_price_kopecks: Mapped[int] = mapped_column(BigInteger)
    # Human-readable draw schedule, e.g. {"every": "15min"} or {"weekly": "SU 10:00"}; instant games have
    # none.
    schedule: Mapped[dict | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Draw(Base):
    __tablename__ = "draws"
    __table_args__ = (UniqueConstraint("game_id", "number"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id"))
    number: Mapped[int] = mapped_column(Integer)
    draw_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    jackpot_kopecks: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(choice("draw_status", vocab.DRAW_STATUSES), default="scheduled")
    results: Mapped[dict | None] = mapped_column(JSON)


class PointOfSale(Base):
    __tablename__ = "points_of_sale"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(choice("sales_channel", vocab.SALES_CHANNELS))
    region: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
