"""Stored results of reports too slow to recompute on every dashboard load, shared by every web worker."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime


class ReportCacheEntry(Base):
    """One report's result under the key of the inputs it was computed from; a new key replaces the row."""

    __tablename__ = "report_cache"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    # A digest of what the result depends on (e.g. the latest as-of date and the row count it was read from).
    input_key: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    result: Mapped[dict] = mapped_column(JSON)
