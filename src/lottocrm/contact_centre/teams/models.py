"""Teams (working hours in their own zone, members), queues and each queue's wrap-up codes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

MEMBER_ROLES = ("member", "supervisor")


class Team(Base):
    """A group of operators working the same hours: its SLA clocks run on those hours, in its zone.

    ``hours`` is the weekly pattern as ``{"mon": ["09:00-18:00"], …}`` (checked by ``sla/hours.py`` before
    it is stored); ``production_calendar`` says whether Russia's holidays and moved working days apply.
    """

    __tablename__ = "cc_teams"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    production_calendar: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class TeamMember(Base):
    """A member of staff in a team: operators work its cases, supervisors also see all of them."""

    __tablename__ = "cc_team_members"

    team_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cc_teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(choice("cc_member_role", MEMBER_ROLES), default="member")


class Queue(Base):
    """Where contacts arrive (``general``, ``payouts``…): owned by a team; ``label`` is what people read."""

    __tablename__ = "cc_queues"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    team_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cc_teams.id"))


class WrapCode(Base):
    """A reason an operator may give for a contact in a queue ("unpaid prize"); retired codes stay for the
    contacts that carry them but are no longer offered."""

    __tablename__ = "cc_wrap_codes"
    __table_args__ = (UniqueConstraint("queue", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    queue: Mapped[str] = mapped_column(String(40), ForeignKey("cc_queues.code"))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
