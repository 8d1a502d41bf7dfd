"""Stored results of report queries, shared by every web worker and the job worker."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime


class ReportCacheEntry(Base):
    """One query document's result, valid while its sources are at the versions ``input_key`` digests.

    One row per document: a result computed on newer sources replaces it, and storing a result removes the
    rows of the same kind computed on other versions (all documents of a kind read the same sources).
    """

    __tablename__ = "report_cache"

    # Digest of the document (kind, parameters, definition version).
    query_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # Digest of the versions of the sources the result was computed from.
    input_key: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # The result as an Arrow IPC stream: column types and schema metadata survive the round trip.
    result: Mapped[bytes] = mapped_column(LargeBinary)
