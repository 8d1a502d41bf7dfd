"""Messages through the real local gateways, as the demo sends them: the gate's permit, the outbox, the
dispatcher, SMPP with delivery receipts and SMTP with the one-click unsubscribe header, the sandbox outbox;
then a player texts STOP and the next message stops at the gate."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import Engine, select

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.db.engine import transaction
from lottocrm.messaging.gateways.local import LocalGateways
from lottocrm.messaging.models import Message
from lottocrm.messaging.sandbox import SandboxMessage, SandboxRecorder
from lottocrm.messaging.sender import Sender
from lottocrm.messaging.service import Content, Outgoing, queue_messages
from lottocrm.players.consents import record_consent
from lottocrm.players.models import PlayerIdentity

# Tuesday 10 March 2026, 12:00 in Moscow.
NOON = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def _queue(engine: Engine, channel: str, body: str) -> int | None:
    with transaction(engine) as session:
        decision = gate.decide(session, player_id=1001, channel=channel, message_class="marketing")
        if decision.permit is None:
            return None
        (message_id,) = queue_messages(
            session, [Outgoing(decision.permit, Content(body=body, subject="Тираж"))]
        )
        return message_id


async def _send_then_stop(engine: Engine) -> tuple[int, int | None]:
    recorder = SandboxRecorder(engine, interval=0.05)
    gateways = LocalGateways(recorder)
    await gateways.start()
    try:
        async with Sender(engine, gateways.transports()) as sender:
            reports = await sender.drain()
            assert reports["sms"].sent == 1, reports
            assert reports["email"].sent == 1, reports
            assert reports["push"].sent == 1, reports
            # The receipt of the SMS arrives on its own; wait for it to be applied.
            for _ in range(100):
                await sender.settled()
                if sender.inbound_applied:
                    break
                await asyncio.sleep(0.05)
            await gateways.smsc.send_inbound(sender="+79161234512", text="STOP")
            for _ in range(100):
                await sender.settled()
                if sender.inbound_applied >= 2:
                    break
                await asyncio.sleep(0.05)
            return sender.inbound_applied, _queue(engine, "sms", "Ещё один тираж")
    finally:
        await gateways.stop()
        recorder.close()


def test_a_message_goes_out_on_each_channel_and_stop_stops_the_next(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(NOON):  # inside the sending hours, whenever the suite runs
        with transaction(engine) as session:  # Фёдоров installs the app and allows its pushes
            session.add(
                PlayerIdentity(
                    player_id=1001, kind="device", value="fcm-token-1001", verified=True, created_at=NOON
                )
            )
            record_consent(
                session,
                actor=IMPORT,
                player_id=1001,
                purpose="advertising",
                channel="push",
                granted=True,
                source="app",
                notice_version="v1",
                occurred_at=NOON,
            )
        sms = _queue(engine, "sms", "Суперприз 500 млн ₽ в субботу!")
        email = _queue(engine, "email", "Суперприз 500 млн ₽ в субботу!")
        push = _queue(engine, "push", "Суперприз 500 млн ₽ в субботу!")
        assert sms is not None and email is not None and push is not None
        applied, after_stop = asyncio.run(_send_then_stop(engine))
    with transaction(engine) as session:
        sent = {m.channel: m for m in session.scalars(select(Message).where(Message.id.in_([sms, email])))}
        received = session.scalars(select(SandboxMessage).order_by(SandboxMessage.id)).all()
        decision = gate.decide(session, player_id=1001, channel="sms", message_class="marketing")
        outcomes = session.scalars(
            select(ContactHistory.outcome)
            .where(ContactHistory.message_id == email)
            .order_by(ContactHistory.id)
        ).all()
    assert sent["email"].status == "sent" and outcomes == ["permitted", "sent"]
    assert sent["sms"].status == "delivered" and applied >= 2
    sms_row = next(r for r in received if r.gateway == "sms")
    assert sms_row.recipient == "+79161234512" and sms_row.text == "Суперприз 500 млн ₽ в субботу!"
    push_row = next(r for r in received if r.gateway == "push")
    assert (push_row.recipient, push_row.subject) == ("fcm-token-1001", "Тираж")
    email_row = next(r for r in received if r.gateway == "email")
    assert email_row.recipient == "petr.fedorov@mail.ru" and email_row.subject == "Тираж"
    assert (
        email_row.detail["unsubscribe"].startswith("<http")
        and "/unsubscribe/1." in email_row.detail["unsubscribe"]
    )
    assert after_stop is None and decision.blocked_by == "consent_withdrawn"
