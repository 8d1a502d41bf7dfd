"""A filed call meets the gate again before an operator makes it.

A call task is filed when the dispatcher's gate permits its message; an operator works it hours or days
later. A self-exclusion, a time-out, a withdrawn consent, a number found unreachable… in between must stop
it, as they stop a message still in the outbox: nothing already queued goes out after them. Two ways, both
through ``cancel_stopped``:

- **at once**: subscribers of the players' events (responsible gaming, consent, identity) recheck that
  player's open tasks when the change has committed (``subscribers.py``). Not inside the change's own
  transaction: ``players`` sits below ``messaging`` and may not call it, and a session hook on every change
  of a player's facts would put a call-list query into every dispatcher batch (its cap touches change
  facts). The event outbox is the architecture's way for a lower domain's change to reach an upper one:
  durable, after commit, at least once (a worker runs it, within seconds).
- **always**: the call list rechecks the tasks it is about to show, and closing a task as "reached" rechecks
  it first. So a task the worker has not reached yet, or one stopped by a fact no event announces (a number
  marked unreachable, an account blocked, a birth date corrected), is never offered to an operator.

A stopped task is cancelled; its message is cancelled with the reason's code, as the dispatcher cancels a
message it stops; "blocked" with the gate's reason goes to the contact history; the message's place under
the caps is given back (the player was never called); the cancellation is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.contact_policy import ledger, release
from lottocrm.contact_policy.reasons import Reason
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.models import Message


@dataclass(frozen=True)
class Cancelled:
    task: CallTask
    reason: Reason


@dataclass
class Worklist:
    """The open tasks an operator is shown, and those cancelled on the way because the gate stops them."""

    tasks: list[CallTask]
    cancelled: list[Cancelled] = field(default_factory=list)


def _pending(message: Message) -> release.Pending:
    return release.Pending(
        message.id,
        message.player_id,
        message.channel,
        message.message_class,
        message.contact_point,
        message.source_kind,
        message.source_id,
    )


def cancel_stopped(
    session: Session, *, actor: Actor, tasks: Sequence[CallTask], at: dt.datetime, reported: str | None = None
) -> list[Cancelled]:
    """Ask the gate again for the open ones of ``tasks``; cancel those it now stops (see the module).
    ``reported``: the outcome an operator was closing the task with, kept in the audit row."""
    candidates = [task for task in tasks if task.status == "open"]
    if not candidates:
        return []
    messages = {
        m.id: m
        for m in session.scalars(select(Message).where(Message.id.in_([t.message_id for t in candidates])))
    }
    # A task whose message is gone has nothing to check (its player's deletion takes the task too).
    pending = {t.message_id: _pending(messages[t.message_id]) for t in candidates if t.message_id in messages}
    stops = release.stopped(session, list(pending.values()), at=at)
    if not stops:
        return []
    # Lock the ones to cancel, and skip any an operator closed meanwhile (PostgreSQL re-reads the row after
    # the lock; on SQLite the write transaction is the lock).
    query = (
        select(CallTask)
        .where(
            CallTask.id.in_([t.id for t in candidates if t.message_id in stops]), CallTask.status == "open"
        )
        .order_by(CallTask.id)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    cancelled = [Cancelled(task, stops[task.message_id]) for task in session.scalars(query)]
    for item in cancelled:
        task, reason = item.task, item.reason
        task.status, task.closed_at, task.closed_by = "cancelled", at, actor.name
        message = messages[task.message_id]
        if message.status == "sent":
            message.status, message.finished_at, message.last_error = "cancelled", at, reason.code
        detail = {"task_id": task.id, "queue": task.queue, "reason": reason.code}
        audit(
            session,
            actor=actor,
            action="messaging.call_task.cancel",
            player_id=task.player_id,
            detail=detail if reported is None else {**detail, "reported": reported},
        )
    release.record_blocked(session, [(pending[c.task.message_id], c.reason) for c in cancelled], at=at)
    ledger.release(session, message_ids=[c.task.message_id for c in cancelled])
    session.flush()
    return cancelled


def worklist(
    session: Session, *, actor: Actor, queue: str, day: dt.date, offset: int, limit: int, at: dt.datetime
) -> Worklist:
    """``limit`` open tasks of ``queue`` due by ``day``, from ``offset`` in the order operators work them
    (oldest day first), each asked the gate again: the ones it stops are cancelled and the page filled up
    from the next. Each round cancels at least one task, so it ends."""
    result = Worklist(tasks=[])
    while True:
        tasks = list(
            session.scalars(
                select(CallTask)
                .where(CallTask.queue == queue, CallTask.status == "open", CallTask.due_day <= day)
                .order_by(CallTask.due_day, CallTask.id)
                .offset(offset)
                .limit(limit)
            )
        )
        cancelled = cancel_stopped(session, actor=actor, tasks=tasks, at=at)
        if not cancelled:
            result.tasks = tasks
            return result
        result.cancelled.extend(cancelled)
