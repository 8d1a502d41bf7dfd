"""The call-list channel: a permitted call becomes a task in its queue while the day's capacity lasts; the
rest wait in the outbox for the next working day of the production calendar, without using up attempts,
and meet the gate again then; closing a task is audited and ends its message."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import Engine, select

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.db.engine import transaction
from lottocrm.messaging import dispatch
from lottocrm.messaging.call_list.models import CallQueue, CallTask
from lottocrm.messaging.call_list.queue import CallTaskClosed, close_task
from lottocrm.messaging.call_list.transport import CallListTransport
from lottocrm.messaging.models import Message
from lottocrm.messaging.service import Content, Outgoing, queue_messages
from lottocrm.players import consents, responsible_gaming

MSK = clock.zone_named("Europe/Moscow")
# Tuesday 10 March 2026, 12:00 in Moscow.
TUESDAY = dt.datetime(2026, 3, 10, 12, 0, tzinfo=MSK)
# Friday 6 March 2026: Saturday, Sunday (8 March) and Monday 9 March (the holiday moved off the Sunday)
# are days off; the next working day is Tuesday 10 March.
FRIDAY = dt.datetime(2026, 3, 6, 12, 0, tzinfo=MSK)
OPERATOR = Actor("user:operator")


def _players(engine: Engine, contactable, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    ids = contactable(count)
    with transaction(engine) as session:
        for player_id in ids:
            consents.record_consent(
                session,
                actor=IMPORT,
                player_id=player_id,
                purpose="advertising",
                channel="call",
                granted=True,
                source="website",
                notice_version="2025-01",
                occurred_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC),
            )
    return ids


def _queue_calls(engine: Engine, players: list[int], at: dt.datetime) -> list[int]:
    with transaction(engine) as session:
        items = []
        for player_id in players:
            decision = gate.decide(
                session, player_id=player_id, channel="call", message_class="marketing", at=at
            )
            assert decision.permit is not None, decision.reasons
            items.append(Outgoing(decision.permit, Content(body="Предложить билет на субботний тираж")))
        return [i for i in queue_messages(session, items, at=at) if i is not None]


def _capacity(engine: Engine, per_day: int) -> None:
    with transaction(engine) as session:
        session.add(CallQueue(name="outbound", daily_capacity=per_day))


def _dispatch(engine: Engine, at: dt.datetime) -> dispatch.BatchReport:
    with clock.frozen(at):
        return asyncio.run(dispatch.dispatch_batch(engine, CallListTransport(engine), channel="call", now=at))


def _messages(engine: Engine, ids: list[int]) -> dict[int, Message]:
    with transaction(engine) as session:
        rows = session.scalars(select(Message).where(Message.id.in_(ids))).all()
        session.expunge_all()
    return {m.id: m for m in rows}


def test_the_daily_capacity_holds_across_two_dispatch_runs(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    players = _players(engine, contactable, 5)
    _capacity(engine, 3)
    first = _queue_calls(engine, players[:2], TUESDAY)
    assert _dispatch(engine, TUESDAY).sent == 2
    later = TUESDAY + dt.timedelta(hours=2)
    second = _queue_calls(engine, players[2:], later)
    report = _dispatch(engine, later)
    assert (report.sent, report.retried) == (1, 2)
    messages = _messages(engine, first + second)
    with transaction(engine) as session:
        tasks = session.scalars(select(CallTask).order_by(CallTask.id)).all()
    assert [t.message_id for t in tasks] == [*first, second[0]]
    assert {t.due_day for t in tasks} == {dt.date(2026, 3, 10)} and {t.queue for t in tasks} == {"outbound"}
    assert tasks[0].phone == f"+7916{players[0]:07d}"
    wednesday = dt.datetime(2026, 3, 11, 0, 0, tzinfo=MSK)
    for waiting in second[1:]:
        message = messages[waiting]
        assert (message.status, message.attempts, message.next_attempt_at) == ("queued", 0, wednesday)


def test_overflow_on_a_friday_before_a_holiday_waits_for_tuesday(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    players = _players(engine, contactable, 2)
    _capacity(engine, 1)
    queued = _queue_calls(engine, players, FRIDAY)
    assert _dispatch(engine, FRIDAY).sent == 1
    waiting = _messages(engine, queued)[queued[1]]
    tuesday = dt.datetime(2026, 3, 10, 0, 0, tzinfo=MSK)
    assert waiting.status == "queued" and waiting.next_attempt_at == tuesday
    # Tuesday morning, inside the calling hours: it becomes Tuesday's task.
    assert _dispatch(engine, tuesday + dt.timedelta(hours=10)).sent == 1
    with transaction(engine) as session:
        days = dict(session.execute(select(CallTask.message_id, CallTask.due_day)).tuples().all())
    assert days == {queued[0]: dt.date(2026, 3, 6), queued[1]: dt.date(2026, 3, 10)}


def test_a_self_excluded_players_waiting_call_never_becomes_a_task(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    players = _players(engine, contactable, 2)
    _capacity(engine, 1)
    queued = _queue_calls(engine, players, TUESDAY)
    assert _dispatch(engine, TUESDAY).sent == 1
    with clock.frozen(TUESDAY + dt.timedelta(hours=1)), transaction(engine) as session:
        responsible_gaming.change_responsible_gaming(
            session,
            actor=IMPORT,
            player_id=players[1],
            self_excluded_until=dt.date(2027, 1, 1),
            monthly_spend_limit_kopecks=None,
        )
    report = _dispatch(engine, dt.datetime(2026, 3, 11, 10, 0, tzinfo=MSK))
    assert (report.sent, report.cancelled) == (0, 1)
    assert _messages(engine, queued)[queued[1]].status == "cancelled"
    with transaction(engine) as session:
        assert session.scalars(select(CallTask.message_id)).all() == [queued[0]]


def test_closing_a_task_is_audited_and_delivers_its_message(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    players = _players(engine, contactable, 1)
    (message_id,) = _queue_calls(engine, players, TUESDAY)
    _dispatch(engine, TUESDAY)
    with transaction(engine) as session:
        task_id = session.scalars(select(CallTask.id)).one()
    with clock.frozen(TUESDAY + dt.timedelta(minutes=30)), transaction(engine) as session:
        close_task(session, actor=OPERATOR, task_id=task_id, outcome="reached")
    with transaction(engine) as session, pytest.raises(CallTaskClosed):
        close_task(session, actor=OPERATOR, task_id=task_id, outcome="no_answer")
    with transaction(engine) as session:
        task = session.get(CallTask, task_id)
        assert (task.status, task.outcome, task.closed_by) == ("done", "reached", "user:operator")
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "messaging.call_task.close")
        ).one()
        assert (event.actor, event.player_id, event.detail["outcome"]) == (
            "user:operator",
            players[0],
            "reached",
        )
        assert session.get(Message, message_id).status == "delivered"
        outcomes = session.scalars(
            select(ContactHistory.outcome)
            .where(ContactHistory.message_id == message_id)
            .order_by(ContactHistory.id)
        ).all()
    assert outcomes == ["permitted", "sent", "delivered"]
