"""A killed dispatcher: no duplicate, no loss. A real ``lottocrm dispatch`` process sends 300 marketing
e-mails to a real SMTP sink that answers slowly, and is killed with SIGKILL in the middle of the batch; the
reconciliation asks the sink's status API which messages it took (sent) and which not (queued again), and a
new dispatcher sends the rest. Every message reaches the sink exactly once and no player passes the e-mail
cap (3 a week), counted at the sink and in the cap ledger."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.models import ContactHistory, ContactTouch
from lottocrm.db.engine import transaction
from lottocrm.messaging.channels.email.compose import message_id_from_header
from lottocrm.messaging.channels.email.settings import load_smtp_settings
from lottocrm.messaging.channels.email.transport import SmtpTransport
from lottocrm.messaging.gateways.mail_status import MailStatusServer
from lottocrm.messaging.gateways.smtp_sink import SmtpSink
from lottocrm.messaging.models import Message
from lottocrm.messaging.reconcile import ReconcileReport, reconcile
from lottocrm.messaging.service import Content, Outgoing, queue_messages

PLAYERS, PER_PLAYER = 100, 3  # the default policy's e-mail cap: 3 marketing e-mails a week
KILL_AFTER = 60
CLI = [sys.executable, "-c", "from lottocrm.cli.main import app; app(prog_name='lottocrm')"]


def _queue(engine: Engine, players: list[int]) -> list[int]:
    with transaction(engine) as session:
        items = []
        for player_id in players:
            decision = gate.decide(session, player_id=player_id, channel="email", message_class="marketing")
            assert decision.permit is not None, decision.reasons
            items += [
                Outgoing(decision.permit, Content(body=f"Тираж {n}", subject="Тираж"))
                for n in range(PER_PLAYER)
            ]
        return [i for i in queue_messages(session, items) if i is not None]


async def _dispatcher(env: dict[str, str], *options: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *CLI, "dispatch", *options, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )


async def _kill_mid_send(
    engine: Engine, env: dict[str, str], sink: SmtpSink, status_url: str
) -> tuple[int, ReconcileReport, str]:
    first = await _dispatcher(env)
    for _ in range(6000):
        if sink.accepted_count >= KILL_AFTER or first.returncode is not None:
            break
        await asyncio.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert first.returncode == -signal.SIGKILL, (await first.stdout.read()).decode()  # type: ignore[union-attr]
    await asyncio.sleep(0.3)  # the sink finishes the DATA it was given before the kill
    with transaction(engine) as session:
        left_sending = session.scalar(select(func.count()).where(Message.status == "sending"))
    transport = SmtpTransport(
        settings=load_smtp_settings(smtp_host=sink.host, smtp_port=sink.port, smtp_status_url=status_url)
    )
    report = await reconcile(engine, transport, channel="email", lease=dt.timedelta(0))
    sink.accept_delay = 0.0
    second = await _dispatcher(env, "--once", "--lease-seconds", "0")
    output, _ = await second.communicate()
    assert second.returncode == 0, output.decode()
    return left_sending, report, output.decode()


async def _scenario(
    engine: Engine, db_url: str, data_dir: Path
) -> tuple[SmtpSink, int, ReconcileReport, str]:
    sink = SmtpSink(accept_delay=0.02)
    await sink.start()
    status = MailStatusServer(sink.index)
    await status.start()
    env = {
        **os.environ,
        "LOTTOCRM_DATABASE_URL": db_url,
        "LOTTOCRM_DATA_DIR": str(data_dir),
        "LOTTOCRM_SMTP_HOST": sink.host,
        "LOTTOCRM_SMTP_PORT": str(sink.port),
        "LOTTOCRM_SMTP_STATUS_URL": status.url,
        "LOTTOCRM_SMTP_CONNECTIONS": "4",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("LOTTOCRM_SMPP_HOST", "LOTTOCRM_FCM_PROJECT", "LOTTOCRM_VAPID_PRIVATE_KEY"):
        env.pop(name, None)
    try:
        return sink, *await _kill_mid_send(engine, env, sink, status.url)
    finally:
        await status.stop()
        await sink.stop()


@pytest.mark.slow
def test_a_dispatcher_killed_mid_send_sends_each_message_exactly_once(  # type: ignore[no-untyped-def]
    engine: Engine, db_url: str, contactable, tmp_path: Path
) -> None:
    players = contactable(PLAYERS)
    queued = _queue(engine, players)
    assert len(queued) == PLAYERS * PER_PLAYER
    sink, left_sending, report, output = asyncio.run(_scenario(engine, db_url, tmp_path / "data"))

    # The kill came in the middle: part of the batch at the sink, the rest never answered.
    assert left_sending == len(queued), output
    assert KILL_AFTER <= report.sent < len(queued) and report.sent + report.requeued == len(queued)
    at_sink = Counter(message_id_from_header(mail.message_id) for mail in sink.received)
    assert set(at_sink) == set(queued) and max(at_sink.values()) == 1
    with transaction(engine) as session:
        statuses = Counter(session.scalars(select(Message.status)))
        touches = Counter(session.scalars(select(ContactTouch.player_id)))
        capped = session.scalar(select(func.count()).where(ContactHistory.reason == "cap"))
        sent_rows = session.scalar(select(func.count()).where(ContactHistory.outcome == "sent"))
    assert statuses == {"sent": len(queued)}
    assert touches == dict.fromkeys(players, PER_PLAYER) and capped == 0 and sent_rows == len(queued)
