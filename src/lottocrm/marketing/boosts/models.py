"""Boost windows as stored: from one operator day to another, the players of a segment may be chosen by
``extra_per_day`` more campaigns a day. Removed, never edited (``removed_at``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime


class BoostWindow(Base):
    __tablename__ = "campaign_boost_windows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Operator days, both included.
    first_day: Mapped[dt.date]
    last_day: Mapped[dt.date]
    extra_per_day: Mapped[int] = mapped_column(Integer)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, index=True)
