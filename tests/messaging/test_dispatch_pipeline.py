"""The pipelined dispatcher (the next batch claimed while this one is on the wire): a batch claimed ahead
that is never handed to the provider goes back to the queue with its attempt and cap places given back,
and a stop leaves no message "sending"."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import Engine, select

from lottocrm import clock
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.models import ContactTouch
from lottocrm.db.engine import transaction
from lottocrm.messaging import dispatch
from lottocrm.messaging.channels.base import OutgoingMessage, SendResult
from lottocrm.messaging.channels.sms.settings import SmppSettings
from lottocrm.messaging.channels.sms.transport import SmppTransport
from lottocrm.messaging.gateways.smsc import LocalSmsc
from lottocrm.messaging.models import Message
from lottocrm.messaging.service import Content, Outgoing, queue_messages

# Tuesday 10 March 2026, 12:00 in Moscow.
NOON = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


class FailingAfter(SmppTransport):
    """The real SMPP transport, whose link breaks after ``good`` batches (send_many raises)."""

    def __init__(self, port: int, good: int, on_send: asyncio.Event | None = None) -> None:
        super().__init__(
            settings=SmppSettings(
                host="127.0.0.1", port=port, system_id="lottocrm", password="secret", source_addr="LOTTO"
            )
        )
        self.good, self.on_send = good, on_send

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        if self.good == 0:
            raise RuntimeError("the link broke")
        self.good -= 1
        if self.on_send is not None:
            self.on_send.set()
        return await super().send_many(messages)


@pytest.fixture
def smsc() -> Iterator[int]:
    server = LocalSmsc(system_id="lottocrm", password="secret")
    yield server.start()
    server.stop()


def _queue_one_each(engine: Engine, players: list[int]) -> list[int]:
    with transaction(engine) as session:
        items = []
        for player_id in players:
            decision = gate.decide(session, player_id=player_id, channel="sms", message_class="marketing")
            assert decision.permit is not None, decision.reasons
            items.append(Outgoing(decision.permit, Content(body="Тираж в субботу")))
        return [m for m in queue_messages(session, items) if m is not None]


def _state(engine: Engine, ids: list[int]) -> tuple[list[tuple[str, int]], set[int]]:
    with transaction(engine) as session:
        messages = {m.id: (m.status, m.attempts) for m in session.scalars(select(Message))}
        touched = set(session.scalars(select(ContactTouch.message_id)))
    return [messages[i] for i in ids], touched


def test_a_batch_claimed_ahead_goes_back_when_the_sending_fails(
    engine: Engine,
    contactable,  # type: ignore[no-untyped-def]
    smsc: int,
) -> None:
    with clock.frozen(NOON):
        ids = _queue_one_each(engine, contactable(3))

        async def run() -> None:
            transport = FailingAfter(smsc, good=1)
            await transport.open()
            try:
                await dispatch.drain(engine, transport, channel="sms", limit=1)
            finally:
                await transport.close()

        with pytest.raises(RuntimeError, match="the link broke"):
            asyncio.run(run())
    states, touched = _state(engine, ids)
    first, second, third = ids
    # The first went; the second was handed to a transport that failed: the provider may have it, so it
    # waits for reconciliation; the third was claimed meanwhile and never left: queued again as it was.
    assert states == [("sent", 1), ("sending", 1), ("queued", 0)]
    assert touched == {first, second}


def test_a_stop_leaves_nothing_sending(
    engine: Engine,
    contactable,  # type: ignore[no-untyped-def]
    smsc: int,
) -> None:
    with clock.frozen(NOON):
        ids = _queue_one_each(engine, contactable(6))

        async def run() -> dispatch.BatchReport:
            stop = asyncio.Event()
            transport = FailingAfter(smsc, good=10, on_send=stop)
            await transport.open()
            try:
                return await dispatch.drain(engine, transport, channel="sms", limit=1, stop=stop)
            finally:
                await transport.close()

        report = asyncio.run(run())
    states, _ = _state(engine, ids)
    # Stopped after the first batch went: the one already claimed goes too, nothing more is claimed.
    assert report.claimed == report.sent == 2
    assert [status for status, _ in states] == ["sent", "sent", "queued", "queued", "queued", "queued"]
