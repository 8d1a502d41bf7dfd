"""A filed call task is never worked after the gate would stop it: a self-exclusion, a time-out, a withdrawn
consent or an unreachable number after filing cancels the task — at once through the players' events, and
in any case when the call list is opened or a task is closed as "reached" — with the gate's reason in the
contact history, the message cancelled and its place under the caps given back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from helpers.call_tasks import file_calls, grant_calls, queue_calls, tasks_of
from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.contact_policy import ledger
from lottocrm.contact_policy.models import ContactHistory, ContactTouch
from lottocrm.db.engine import transaction
from lottocrm.events.delivery import worker_registry
from lottocrm.events.outbox import EVENTS_QUEUE
from lottocrm.jobs.models import Job
from lottocrm.jobs.worker import Worker
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.call_list.queue import close_task
from lottocrm.messaging.call_list.recheck import worklist
from lottocrm.messaging.models import Message
from lottocrm.players import consents, responsible_gaming

MSK = clock.zone_named("Europe/Moscow")
# Tuesday 10 March 2026: the calls are filed at 11:00 in Moscow, the changes come an hour later.
FILED = dt.datetime(2026, 3, 10, 11, 0, tzinfo=MSK)
LATER = FILED + dt.timedelta(hours=1)
OPERATOR = Actor("user:operator")


def _filed(engine: Engine, contactable, count: int) -> tuple[list[int], list[int]]:  # type: ignore[no-untyped-def]
    players = contactable(count)
    grant_calls(engine, players)
    messages = queue_calls(engine, players, FILED)
    assert file_calls(engine, FILED).sent == count
    assert {t.status for t in tasks_of(engine, messages).values()} == {"open"}
    return players, messages


def _history(engine: Engine, message_id: int) -> list[tuple[str, str | None]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(ContactHistory.outcome, ContactHistory.reason)
            .where(ContactHistory.message_id == message_id)
            .order_by(ContactHistory.id)
        )
        return [(outcome, reason) for outcome, reason in rows]


def _work_events(engine: Engine) -> None:
    Worker(engine, worker_registry(), queues=[EVENTS_QUEUE], run_schedules=False, poll_interval=0.05).run(
        once=True
    )


def _assert_stopped(engine: Engine, message_id: int, reason: str, closed_by: str) -> None:
    task = tasks_of(engine, [message_id])[message_id]
    assert (task.status, task.outcome, task.closed_by) == ("cancelled", None, closed_by)
    assert _history(engine, message_id) == [("permitted", None), ("sent", None), ("blocked", reason)]
    with transaction(engine) as session:
        message = session.get(Message, message_id)
        assert (message.status, message.last_error) == ("cancelled", reason)
        # The player was never called: the call's place under the caps is given back.
        assert session.scalar(select(func.count()).where(ContactTouch.message_id == message_id)) == 0
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "messaging.call_task.cancel", AuditEvent.player_id == task.player_id
            )
        ).one()
        assert (event.actor, event.detail["reason"], event.detail["task_id"]) == (closed_by, reason, task.id)


def test_a_self_exclusion_after_filing_cancels_the_call_at_once(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    players, messages = _filed(engine, contactable, 2)
    with clock.frozen(LATER), transaction(engine) as session:
        responsible_gaming.change_responsible_gaming(
            session,
            actor=IMPORT,
            player_id=players[0],
            self_excluded_until=dt.date(2099, 1, 1),
            monthly_spend_limit_kopecks=None,
        )
    with clock.frozen(LATER + dt.timedelta(seconds=5)):
        _work_events(engine)
    _assert_stopped(engine, messages[0], "self_excluded", "job:messaging.recheck_calls.responsible_gaming")
    # The other player's call stands: its own place under the one-call-a-month cap does not stop it.
    assert tasks_of(engine, [messages[1]])[messages[1]].status == "open"
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).where(ContactTouch.message_id == messages[1])) == 1
        jobs = session.scalars(select(Job.status).where(Job.kind.like("messaging.recheck_calls.%"))).all()
    # One per consent recorded while the players were made (a grant: nothing to do), one for the exclusion.
    assert set(jobs) == {"done"} and len(jobs) == 2 * 4 + 1


def test_a_time_out_or_an_unreachable_number_stops_the_call_when_the_list_is_opened(
    engine: Engine, contactable
) -> None:  # type: ignore[no-untyped-def]
    """No worker runs here: the list itself asks the gate again before it shows a call."""
    players, messages = _filed(engine, contactable, 3)
    with clock.frozen(LATER), transaction(engine) as session:
        responsible_gaming.start_timeout(
            session, actor=IMPORT, player_id=players[0], until=LATER + dt.timedelta(days=7)
        )
        # A number found unreachable announces no event of the players.
        ledger.mark_unreachable(
            session, actor=IMPORT, channel="call", contact_point=f"+7916{players[1]:07d}", reason="invalid"
        )
    later = LATER + dt.timedelta(minutes=5)
    with clock.frozen(later), transaction(engine) as session:
        shown = worklist(
            session, actor=OPERATOR, queue="outbound", day=later.date(), offset=0, limit=51, at=later
        )
        assert [t.message_id for t in shown.tasks] == [messages[2]]
        assert sorted((c.task.message_id, c.reason.code) for c in shown.cancelled) == [
            (messages[0], "timed_out"),
            (messages[1], "unreachable"),
        ]
    _assert_stopped(engine, messages[0], "timed_out", "user:operator")
    _assert_stopped(engine, messages[1], "unreachable", "user:operator")
    with clock.frozen(later), transaction(engine) as session:
        again = worklist(
            session, actor=OPERATOR, queue="outbound", day=later.date(), offset=0, limit=51, at=later
        )
    assert [t.message_id for t in again.tasks] == [messages[2]] and again.cancelled == []


def test_a_page_is_filled_up_past_the_calls_the_gate_stops(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    players, messages = _filed(engine, contactable, 5)
    with clock.frozen(LATER), transaction(engine) as session:
        for player_id in players[:3]:
            responsible_gaming.start_timeout(
                session, actor=IMPORT, player_id=player_id, until=LATER + dt.timedelta(days=1)
            )
    with clock.frozen(LATER), transaction(engine) as session:
        shown = worklist(
            session, actor=OPERATOR, queue="outbound", day=LATER.date(), offset=0, limit=2, at=LATER
        )
    assert [t.message_id for t in shown.tasks] == messages[3:] and len(shown.cancelled) == 3


def test_closing_as_reached_after_a_withdrawal_cancels_the_task_instead(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    players, messages = _filed(engine, contactable, 1)
    with clock.frozen(LATER), transaction(engine) as session:
        consents.record_consent(
            session,
            actor=IMPORT,
            player_id=players[0],
            purpose="advertising",
            channel="call",
            granted=False,
            source="call_centre",
            notice_version="2025-01",
            occurred_at=LATER,
        )
    task_id = tasks_of(engine, messages)[messages[0]].id
    with clock.frozen(LATER + dt.timedelta(minutes=1)), transaction(engine) as session:
        task = close_task(session, actor=OPERATOR, task_id=task_id, outcome="reached")
        assert task.status == "cancelled"
    _assert_stopped(engine, messages[0], "consent_withdrawn", "user:operator")
    with transaction(engine) as session:
        cancel = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "messaging.call_task.cancel")
        ).one()
        assert cancel.detail["reported"] == "reached"
        assert (
            session.scalar(select(func.count()).where(AuditEvent.action == "messaging.call_task.close")) == 0
        )


def test_changes_that_cannot_stop_a_call_leave_it_open(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    """An SMS withdrawal, a new e-mail address, a spending limit: the subscribers run and cancel nothing;
    a task closed as "no answer" is closed without asking the gate."""
    players, messages = _filed(engine, contactable, 2)
    with transaction(engine) as session:
        before = session.scalar(select(func.max(Job.id)))
    with clock.frozen(LATER), transaction(engine) as session:
        consents.record_consent(
            session,
            actor=IMPORT,
            player_id=players[0],
            purpose="advertising",
            channel="sms",
            granted=False,
            source="sms_reply",
            notice_version="2025-01",
            occurred_at=LATER,
        )
        responsible_gaming.change_responsible_gaming(
            session,
            actor=IMPORT,
            player_id=players[0],
            self_excluded_until=None,
            monthly_spend_limit_kopecks=500_000,
        )
    with clock.frozen(LATER + dt.timedelta(seconds=5)):
        _work_events(engine)
    assert tasks_of(engine, [messages[0]])[messages[0]].status == "open"
    with transaction(engine) as session:
        done = session.scalars(
            select(Job.status).where(Job.kind.like("messaging.recheck_calls.%"), Job.id > before)
        ).all()
        assert done == ["done", "done"]
        task_id = session.scalar(select(CallTask.id).where(CallTask.message_id == messages[1]))
    with clock.frozen(LATER), transaction(engine) as session:
        assert close_task(session, actor=OPERATOR, task_id=task_id, outcome="no_answer").status == "done"
    assert _history(engine, messages[1])[-1] == ("failed", "provider_refused")
