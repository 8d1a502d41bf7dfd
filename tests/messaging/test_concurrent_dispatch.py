"""Eight dispatchers on the same outbox and the same players, through a real local SMSC: every message is
sent at most once, and no player gets more than the daily SMS cap allows."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import Counter

from sqlalchemy import Engine, select

from lottocrm import clock
from lottocrm.contact_policy import service as gate
from lottocrm.db.engine import transaction
from lottocrm.messaging import dispatch
from lottocrm.messaging.channels.sms.settings import SmppSettings
from lottocrm.messaging.channels.sms.transport import SmppTransport
from lottocrm.messaging.gateways.smsc import LocalSmsc
from lottocrm.messaging.models import Message
from lottocrm.messaging.service import Content, Outgoing, queue_messages
from lottocrm.players.models import PlayerIdentity

NOON = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
WORKERS = 8


def test_eight_dispatchers_never_send_twice_or_past_a_cap(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    players = contactable(6)
    with clock.frozen(NOON), transaction(engine) as session:
        items = []
        for player_id in players:
            decision = gate.decide(session, player_id=player_id, channel="sms", message_class="marketing")
            assert decision.permit is not None, decision.reasons
            items += [Outgoing(decision.permit, Content(body=f"Тираж {n}")) for n in range(5)]
        queue_messages(session, items)
    smsc = LocalSmsc(system_id="lottocrm", password="secret")
    port = smsc.start()
    errors: list[BaseException] = []
    barrier = threading.Barrier(WORKERS)

    def work() -> None:
        async def run() -> None:
            transport = SmppTransport(
                settings=SmppSettings(
                    host="127.0.0.1", port=port, system_id="lottocrm", password="secret", source_addr="LOTTO"
                )
            )
            await transport.open()
            try:
                barrier.wait()
                await dispatch.drain(engine, transport, channel="sms", limit=3)
            finally:
                await transport.close()

        try:
            asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    try:
        with clock.frozen(NOON + dt.timedelta(minutes=1)):
            threads = [threading.Thread(target=work) for _ in range(WORKERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        smsc.stop()
    assert not errors, errors
    with transaction(engine) as session:
        statuses = Counter(session.scalars(select(Message.status)))
        sent_to = Counter(
            session.scalars(select(Message.player_id).where(Message.status.in_(("sent", "delivered"))))
        )
        phones = dict(
            session.execute(
                select(PlayerIdentity.value, PlayerIdentity.player_id).where(PlayerIdentity.kind == "phone")
            ).all()
        )
    assert statuses["sending"] == 0 and statuses["queued"] == 0
    # The daily SMS cap is one: each player gets exactly one, the other four are stopped by the cap.
    assert sent_to == {player_id: 1 for player_id in players}
    assert statuses["cancelled"] == 4 * len(players)
    # What the SMSC received: one message per player, none twice.
    received = Counter(phones[sms.recipient] for sms in smsc.received)
    assert received == {player_id: 1 for player_id in players}
