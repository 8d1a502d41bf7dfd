"""Filing calls into a queue under its daily capacity, and closing them (audited).

Capacity is counted per operator day: a queue's tasks due today, whatever their status. The queue's row is
locked first (PostgreSQL ``FOR UPDATE``; on SQLite the write transaction is the lock), so two dispatchers
filing at once never pass it. What does not fit today waits in the outbox for the next working day of the
production calendar (``contact_policy.rules.is_day_off``): it is not filed ahead, so the gate asks again on
that day (a self-exclusion, a withdrawal or a cap in between stops it) and its cap place is taken then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.contact_policy.reasons import Reason
from lottocrm.contact_policy.rules import is_day_off
from lottocrm.errors import Conflict, NotFound
from lottocrm.messaging.call_list.models import CALL_OUTCOMES, CallQueue, CallTask
from lottocrm.messaging.call_list.recheck import cancel_stopped
from lottocrm.messaging.history import record_for_message
from lottocrm.messaging.models import Message
from lottocrm.messaging.service import MessagingError

DEFAULT_QUEUE = "outbound"
# Its name for people, as the migration that added labels wrote it (0031).
DEFAULT_QUEUE_LABEL = "Исходящие звонки"
DEFAULT_DAILY_CAPACITY = 200


class CallTaskNotFound(MessagingError, NotFound):
    code = "call_task_not_found"


class CallTaskClosed(MessagingError, Conflict):
    code = "call_task_closed"


def queue_label(queue: CallQueue | None, name: str) -> str:
    """What operators call the queue ``name`` (its row ``queue``, None before its first call is filed)."""
    if queue is not None and queue.label:
        return queue.label
    return DEFAULT_QUEUE_LABEL if name == DEFAULT_QUEUE else name


def operator_day(at: dt.datetime) -> dt.date:
    return at.astimezone(clock.operator_zone()).date()


def next_working_day_start(at: dt.datetime) -> dt.datetime:
    """Midnight (operator's zone) of the first working day after ``at``'s day."""
    day = operator_day(at) + dt.timedelta(days=1)
    while is_day_off(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0), clock.operator_zone())


@dataclass(frozen=True)
class Filed:
    """A task's id for a message filed today, or None: the queue is full (or today is a day off)."""

    message_id: int
    task_id: int | None


def _capacity(session: Session, queue: str) -> int:
    if session.get(CallQueue, queue) is None:
        label = DEFAULT_QUEUE_LABEL if queue == DEFAULT_QUEUE else None
        session.add(CallQueue(name=queue, daily_capacity=DEFAULT_DAILY_CAPACITY, label=label))
        session.flush()
    locked = select(CallQueue.daily_capacity).where(CallQueue.name == queue)
    if session.get_bind().dialect.name == "postgresql":
        locked = locked.with_for_update()
    return int(session.scalar(locked) or 0)


def file_calls(session: Session, *, queue: str, message_ids: Sequence[int], at: dt.datetime) -> list[Filed]:
    """File each message's call in ``queue`` for today while its capacity lasts, in order."""
    today = operator_day(at)
    capacity = _capacity(session, queue)
    known = dict(
        session.execute(select(CallTask.message_id, CallTask.id).where(CallTask.message_id.in_(message_ids)))
        .tuples()
        .all()
    )
    used = session.scalar(select(func.count()).where(CallTask.queue == queue, CallTask.due_day == today)) or 0
    working = not is_day_off(today)
    messages = {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(message_ids)))}
    filed: list[Filed] = []
    for message_id in message_ids:
        if message_id in known:
            filed.append(Filed(message_id, known[message_id]))
            continue
        message = messages.get(message_id)
        if message is None or not working or used >= capacity:
            filed.append(Filed(message_id, None))
            continue
        task_id = session.scalar(
            insert(CallTask)
            .values(
                message_id=message_id,
                player_id=message.player_id,
                phone=message.address,
                queue=queue,
                due_day=today,
                status="open",
                created_at=at,
            )
            .returning(CallTask.id)
        )
        used += 1
        filed.append(Filed(message_id, task_id))
    return filed


def close_task(session: Session, *, actor: Actor, task_id: int, outcome: str) -> CallTask:
    """Record how the call went: the task is done and its message delivered ("reached") or failed. A task
    closed as "reached" that the gate now stops comes back cancelled (``recheck.cancel_stopped``)."""
    if outcome not in CALL_OUTCOMES:
        raise MessagingError(
            "unknown call outcome %(outcome)r; expected one of %(allowed)s",
            outcome=outcome,
            allowed=", ".join(CALL_OUTCOMES),
        )
    query = select(CallTask).where(CallTask.id == task_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    task = session.scalar(query)
    if task is None:
        raise CallTaskNotFound("no call task with id %(task_id)s", task_id=task_id)
    if task.status != "open":
        raise CallTaskClosed("call task %(task_id)s is already closed", task_id=task_id)
    now = clock.now()
    # A call that reached the player must still have been allowed: a task the gate stops by now (the player
    # self-excluded since the list was opened) is cancelled instead, and the page says why.
    if outcome == "reached" and cancel_stopped(session, actor=actor, tasks=[task], at=now, reported=outcome):
        return task
    task.status, task.outcome, task.closed_at, task.closed_by = "done", outcome, now, actor.name
    message = session.get(Message, task.message_id)
    if message is not None and message.status == "sent":
        reached = outcome == "reached"
        message.status, message.finished_at = ("delivered" if reached else "failed"), now
        why = None if reached else Reason.of("provider_refused", why=outcome)
        record_for_message(session, message, "delivered" if reached else "failed", at=now, reason=why)
    audit(
        session,
        actor=actor,
        action="messaging.call_task.close",
        player_id=task.player_id,
        detail={"task_id": task.id, "queue": task.queue, "outcome": outcome},
    )
    session.flush()
    return task
