"""The ledger of loaded files: what makes importing the same file twice a no-op."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime


class ImportBatch(Base):
    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("kind", "content_sha256"),)

    # Derived from kind + content hash, so the lake manifest and this row name the same batch.
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    content_sha256: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(500))
    rows_loaded: Mapped[int] = mapped_column(BigInteger)
    rows_quarantined: Mapped[int] = mapped_column(BigInteger, default=0)
    loaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
