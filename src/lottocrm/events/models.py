"""Which subscriber has already acted on which event: the other half of exactly-once effects."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime


class EventDelivery(Base):
    """Written in the same transaction as a subscriber's effect (``EventContext.once``): a re-run of the
    job after a crash finds the row and does nothing, a re-run after a rollback finds none and acts."""

    __tablename__ = "event_deliveries"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(100), primary_key=True)
    delivered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
