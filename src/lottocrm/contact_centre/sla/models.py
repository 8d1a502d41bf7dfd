"""SLA policies: targets per case type and priority, in business minutes of the case's team."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.contact_centre.cases.models import PRIORITIES
from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

DEFAULT_WARN_MINUTES = 15


class SlaPolicy(Base):
    """First response, next update and resolution targets (each optional); ``warn_minutes`` before a due
    time the owner is warned (Zammad warns 15 minutes ahead)."""

    __tablename__ = "cc_sla_policies"
    __table_args__ = (UniqueConstraint("case_type", "priority"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_type: Mapped[str] = mapped_column(String(40), ForeignKey("cc_case_types.code"))
    priority: Mapped[str] = mapped_column(choice("cc_sla_priority", PRIORITIES))
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    update_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    warn_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_WARN_MINUTES)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
