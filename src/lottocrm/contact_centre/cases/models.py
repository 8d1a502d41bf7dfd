"""Cases, their types, categories and states, the history of their states, and what they are about."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

PRIORITIES = ("low", "normal", "high", "urgent")
# What a state means to the engine; an operator may add states of a type ("waiting for finance", a
# pending-reminder state that pauses the clock) without code (design research §2.5).
STATE_TYPES = ("new", "open", "pending_reminder", "pending_close", "solved", "closed", "merged")
# A case in a state of these types is done: its resolution timer is met and it no longer escalates.
DONE_TYPES = frozenset({"solved", "closed", "merged"})
LINK_KINDS = ("ticket", "draw", "win", "payout", "loyalty_operation")


class CaseType(Base):
    __tablename__ = "cc_case_types"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))


class CaseCategory(Base):
    __tablename__ = "cc_case_categories"
    __table_args__ = (UniqueConstraint("case_type", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_type: Mapped[str] = mapped_column(String(40), ForeignKey("cc_case_types.code"))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))


class CaseState(Base):
    """A state and its flags: its type, and whether time spent in it stops the SLA clock."""

    __tablename__ = "cc_case_states"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    state_type: Mapped[str] = mapped_column(choice("cc_state_type", STATE_TYPES))
    pauses_sla: Mapped[bool] = mapped_column(Boolean)


class Case(Base):
    """A player's problem. The ``*_at`` facts are what the SLA timers start and stop on; the due times,
    breach flags and minutes below them are the timers' last computation (``sla/service.py``)."""

    __tablename__ = "cc_cases"
    __table_args__ = (
        Index("ix_cc_cases_player", "player_id", "created_at"),
        Index("ix_cc_cases_team_state", "team_id", "state"),
        Index("ix_cc_cases_next_due", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("players.id", ondelete="CASCADE"))
    case_type: Mapped[str] = mapped_column(String(40), ForeignKey("cc_case_types.code"))
    category_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cc_case_categories.id"))
    priority: Mapped[str] = mapped_column(choice("cc_priority", PRIORITIES), default="normal")
    state: Mapped[str] = mapped_column(String(40), ForeignKey("cc_case_states.code"))
    subject: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cc_teams.id"))
    owner_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cc_cases.id"))
    reminder_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # The SLA's facts: the operator's first reply; the player's oldest contact not answered before the
    # latest reply and that reply (the "next update" timer); when the case was last made done.
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    awaiting_since: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    solved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The timers as last computed.
    sla_policy_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cc_sla_policies.id"))
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    update_due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    next_due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    update_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    # Business minutes the met timers took (Zammad's ``*_in_min``); the target less these is the margin.
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class CaseStateChange(Base):
    """Every change of state, the first one from nothing: the SLA's pauses are rebuilt from these rows."""

    __tablename__ = "cc_case_state_changes"
    __table_args__ = (Index("ix_cc_case_state_changes_case", "case_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cc_cases.id", ondelete="CASCADE"))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(100))


class CaseLink(Base):
    """A ticket, draw, win, payout or loyalty operation the case is about."""

    __tablename__ = "cc_case_links"

    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cc_cases.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(choice("cc_case_link", LINK_KINDS), primary_key=True)
    ref_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
