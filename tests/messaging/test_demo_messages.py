"""The demo's welcome campaign, on the test players: e-mail arrives in the sandbox, SMS arrive or are held by
quiet hours, a call becomes a task on the call list, and a texted STOP stops the next SMS."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from helpers.call_tasks import grant_calls
from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.demo import send_welcome
from lottocrm.messaging.models import Message
from lottocrm.messaging.sandbox import SandboxMessage


def test_the_welcome_goes_out_and_stop_stops_the_next(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)):
        result = send_welcome(seeded, engine, players=5)
        again = send_welcome(seeded, engine, players=5)
    # Фёдоров (1001) is the one test player with advertising consent on SMS and e-mail.
    assert (result.queued, result.sent, result.held, result.delivered) == (2, 2, 0, 1)
    assert (result.stopped_player, result.stop_reason) == (1001, "consent_withdrawn")
    assert again.queued == 0  # the same welcome is queued once per player and channel
    with transaction(engine) as session:
        received = session.scalars(select(SandboxMessage).order_by(SandboxMessage.id)).all()
    assert [(r.gateway, r.recipient) for r in received] == [
        ("sms", "+79161234512"),
        ("email", "petr.fedorov@mail.ru"),
    ]
    assert received[0].text.startswith("Пётр, добро пожаловать!")
    assert "/unsubscribe/1.1001.email." in received[1].text


def test_the_welcome_files_a_call_for_a_player_who_agreed_to_calls(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    grant_calls(engine, [1001])
    with clock.frozen(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)):
        result = send_welcome(seeded, engine, players=5, calls=3)
    assert (result.queued, result.sent, result.calls_filed, result.calls_held) == (3, 3, 1, 0)
    with transaction(engine) as session:
        task, body = session.execute(
            select(CallTask, Message.body).join(Message, Message.id == CallTask.message_id)
        ).one()
    assert (task.player_id, task.phone, task.queue, task.status) == (1001, "+79161234512", "outbound", "open")
    assert body.startswith("Поприветствовать: Пётр, добро пожаловать!")
