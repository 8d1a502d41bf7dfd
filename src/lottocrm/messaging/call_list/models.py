"""Operator queues (their daily capacity is data) and the call tasks in them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

TASK_STATUSES = ("open", "done", "cancelled")
# What the operator records on closing a task: "reached" delivers the message, the rest end it failed.
CALL_OUTCOMES = ("reached", "no_answer", "refused", "wrong_number")


class CallQueue(Base):
    """A queue's settings; a queue without a row takes ``DEFAULT_DAILY_CAPACITY``. ``name`` is the code the
    dispatcher files by; ``label`` what operators read (the code when there is none)."""

    __tablename__ = "call_queues"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    daily_capacity: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(100))


class CallTask(Base):
    """One call an operator is to make: the message it delivers, to whom, in which queue, on which day."""

    __tablename__ = "call_tasks"
    __table_args__ = (Index("ix_call_tasks_queue_day", "queue", "due_day", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # One task per message: filing it again (a retry after a killed sender) finds the first.
    message_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    player_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("players.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(40))
    # The operator's working day the task is for (the operator's time zone).
    due_day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(choice("call_task_status", TASK_STATUSES), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(20))
