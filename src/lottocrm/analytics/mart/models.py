"""The mart written back to the operational store: one row per player and as-of date, and a log of writes.

The 360 view and real-time decisions read the latest row of a player (index on player_id); a rerun of an
as-of date replaces that date's rows (primary key starts with as_of, so the delete is a range scan).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime


class PlayerAnalytics(Base):
    __tablename__ = "player_analytics"
    __table_args__ = (Index("ix_player_analytics_player_id_as_of", "player_id", "as_of"),)

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    region: Mapped[str | None] = mapped_column(String(10))
    days_since_registration: Mapped[int] = mapped_column(Integer)
    first_purchase_on: Mapped[dt.date | None] = mapped_column(Date)
    second_purchase_on: Mapped[dt.date | None] = mapped_column(Date)
    last_purchase_on: Mapped[dt.date | None] = mapped_column(Date)
    recency_days: Mapped[int | None] = mapped_column(Integer)
    tenure_days: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    tickets: Mapped[int] = mapped_column(BigInteger)
    monetary_kopecks: Mapped[int] = mapped_column(BigInteger)
    average_check_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    interval_mean_days: Mapped[float | None] = mapped_column(Float)
    interval_std_days: Mapped[float | None] = mapped_column(Float)
    spend_30d_kopecks: Mapped[int] = mapped_column(BigInteger)
    spend_90d_kopecks: Mapped[int] = mapped_column(BigInteger)
    spend_trend_30d: Mapped[float | None] = mapped_column(Float)
    spend_trend_90d: Mapped[float | None] = mapped_column(Float)
    favourite_game_id: Mapped[int | None] = mapped_column(Integer)
    favourite_game_share: Mapped[float | None] = mapped_column(Float)
    draw_share: Mapped[float | None] = mapped_column(Float)
    main_channel: Mapped[str | None] = mapped_column(String(20))
    main_channel_share: Mapped[float | None] = mapped_column(Float)
    wins_count: Mapped[int] = mapped_column(Integer)
    wins_kopecks: Mapped[int] = mapped_column(BigInteger)
    last_win_on: Mapped[dt.date | None] = mapped_column(Date)
    biggest_win_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    segment: Mapped[str] = mapped_column(String(30))
    r_level: Mapped[int | None] = mapped_column(SmallInteger)
    f_level: Mapped[int | None] = mapped_column(SmallInteger)
    m_level: Mapped[int | None] = mapped_column(SmallInteger)


class PlayerAnalyticsWrite(Base):
    """The latest write-back of each as-of date, written in the same transaction as its rows.

    Whoever keeps results computed from the record (the report cache) reads these few rows to know whether
    the record changed, instead of reading the record itself.
    """

    __tablename__ = "player_analytics_writes"

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    # The id of the analytics.record_written event that announced the write.
    event_id: Mapped[str] = mapped_column(String(36))
    players: Mapped[int] = mapped_column(Integer)
    written_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
