"""Reconciliation's other two answers: a provider that cannot be asked (no status API configured) leaves a
dead sender's messages in doubt, as before; a status API that does not answer concludes nothing and leaves
them ``sending`` for the next round. A message inside its lease is not touched."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

from sqlalchemy import Engine, select

from lottocrm import clock
from lottocrm.contact_policy import service as gate
from lottocrm.db.engine import transaction
from lottocrm.messaging import dispatch
from lottocrm.messaging.channels.email.settings import load_smtp_settings
from lottocrm.messaging.channels.email.transport import SmtpTransport
from lottocrm.messaging.models import Message
from lottocrm.messaging.reconcile import reconcile
from lottocrm.messaging.service import Content, Outgoing, queue_messages

NOON = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
LATER = NOON + dt.timedelta(minutes=11)


def _claimed_and_abandoned(engine: Engine, player_id: int) -> int:
    with transaction(engine) as session:
        decision = gate.decide(
            session, player_id=player_id, channel="email", message_class="marketing", at=NOON
        )
        assert decision.permit is not None, decision.reasons
        (message_id,) = queue_messages(
            session, [Outgoing(decision.permit, Content(body="Тираж", subject="Т"))], at=NOON
        )
    with transaction(engine) as session:
        claimed = dispatch.claim(session, channel="email", limit=10, report=dispatch.BatchReport(), now=NOON)
    assert [c.outgoing.message_id for c in claimed] == [message_id]
    assert message_id is not None
    return message_id


def _status(engine: Engine, message_id: int) -> str:
    with transaction(engine) as session:
        return session.scalars(select(Message.status).where(Message.id == message_id)).one()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_without_a_status_api_a_dead_senders_message_is_in_doubt(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    message_id = _claimed_and_abandoned(engine, contactable(1)[0])
    transport = SmtpTransport(settings=load_smtp_settings(smtp_host="127.0.0.1", smtp_port=25))
    early = asyncio.run(reconcile(engine, transport, channel="email", now=NOON + dt.timedelta(minutes=5)))
    assert early.in_doubt == 0 and _status(engine, message_id) == "sending"
    report = asyncio.run(reconcile(engine, transport, channel="email", now=LATER))
    assert report.in_doubt == 1 and _status(engine, message_id) == "in_doubt"


def test_a_status_api_that_does_not_answer_concludes_nothing(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    message_id = _claimed_and_abandoned(engine, contactable(1)[0])
    url = f"http://127.0.0.1:{_closed_port()}/v1/messages"
    transport = SmtpTransport(
        settings=load_smtp_settings(smtp_host="127.0.0.1", smtp_port=25, smtp_status_url=url)
    )
    with clock.frozen(LATER):
        report = asyncio.run(reconcile(engine, transport, channel="email"))
    assert (report.unanswered, report.sent, report.requeued) == (1, 0, 0)
    assert _status(engine, message_id) == "sending"
