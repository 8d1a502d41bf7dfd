"""The audit log of personal-data access: append-only (database triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index(None, "player_id", "occurred_at"),
        Index(None, "actor", "occurred_at"),
        Index(None, "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # "user:ivanova" or "apikey:3fa9c2d1": the name at the time, kept even if the account is later removed.
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    # No foreign key: the record of who saw a player must outlive the player's erasure.
    player_id: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))
