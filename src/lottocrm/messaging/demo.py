"""The demo's messages: a small welcome campaign through the contact policy and the real local gateways,
a few welcome calls filed on the call list for operators, then a player texting STOP, and the next message
to them stopped at the gate.

It shows every part working together on loopback: the template (rendered per player when the dispatcher
takes the message, ``render_due.py``), the gate's permits (quiet hours hold SMS outside 09:00–21:00 in the
player's own zone), the outbox, the dispatcher, SMPP with delivery receipts, SMTP with the one-click
unsubscribe header, and the sandbox outbox page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.document import PolicySettings
from lottocrm.contact_policy.selection import eligible_select
from lottocrm.db.engine import transaction
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.call_list.transport import CallListTransport
from lottocrm.messaging.gateways.local import LocalGateways
from lottocrm.messaging.models import Message
from lottocrm.messaging.sandbox import SandboxRecorder
from lottocrm.messaging.sender import Sender
from lottocrm.messaging.service import Content, Outgoing, Templated, queue_messages, queue_templated
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.errors import TemplateNotFound
from lottocrm.messaging.templates.render import Bodies
from lottocrm.players.models import Player
from lottocrm.settings import Settings

DEMO = Actor("job:demo")
WELCOME = Bodies(
    sms_text="{{ first_name }}, добро пожаловать! В субботу суперприз 500 млн ₽. Отписка: СТОП",
    email_subject="{{ first_name }}, добро пожаловать в лотерею",
    email_text=(
        "{{ first_name }}, здравствуйте!\n\nСпасибо, что играете с нами. В субботу — тираж с суперпризом "
        "500 млн ₽.\n\nНе хотите получать наши письма? Отпишитесь: {{ unsubscribe_url }}"
    ),
    push_title="Суперприз 500 млн ₽",
    push_body="{{ first_name }}, в субботу тираж с суперпризом. Билеты — в приложении.",
)
# What the operator is to say on a welcome call (templates do not speak on the call channel).
CALL_SCRIPT = (
    "Поприветствовать: {first_name}, добро пожаловать! Рассказать о субботнем тираже с суперпризом 500 млн ₽ "
    "и предложить билет; напомнить, что от звонков можно отказаться."
)


@dataclass
class WelcomeResult:
    queued: int = 0
    sent: int = 0
    # Welcome calls: filed on the call list for operators, or held until the player's calling hours.
    calls_filed: int = 0
    calls_held: int = 0
    held: int = 0
    delivered: int = 0
    stopped_player: int | None = None
    stop_reason: str | None = None


def _welcome_version(engine: Engine) -> int:
    with transaction(engine) as session:
        try:
            template = templates.find_template(session, code="welcome")
        except TemplateNotFound:
            template = templates.create_template(
                session, actor=DEMO, code="welcome", name="Добро пожаловать", message_class="marketing"
            )
        published = templates.published_version(session, template_id=template.id)
        if published is not None:
            return published.id
        draft = templates.save_draft(session, actor=DEMO, template_id=template.id, bodies=WELCOME)
        return templates.publish_version(session, actor=DEMO, version_id=draft.version.id).id


def _queue_welcome(engine: Engine, version_id: int, players: int, calls: int) -> int:
    """The welcome to each chosen player on every channel the gate allows, its text rendered at dispatch
    (with the unsubscribe link of the message itself), and the welcome calls."""
    with transaction(engine) as session:
        version, policy = gate.current_policy(session)
        at = clock.now()
        chosen = eligible_select(channel="email", message_class="marketing", at=at, policy=policy).subquery()
        ids = list(session.scalars(select(chosen.c.player_id).order_by(chosen.c.player_id).limit(players)))
        items = []
        for player_id in ids:
            for channel in ("sms", "email", "push"):
                decision = gate.decide(
                    session, player_id=player_id, channel=channel, message_class="marketing", at=at
                )
                if decision.permit is not None:
                    key = f"demo-welcome:{channel}:{player_id}"
                    items.append(Templated(decision.permit, version_id, key))
        queued = queue_templated(session, items, at=at)
        queued += queue_messages(session, _welcome_calls(session, policy=policy, at=at, calls=calls), at=at)
    return sum(1 for message_id in queued if message_id is not None)


def _welcome_calls(
    session: Session, *, policy: PolicySettings, at: dt.datetime, calls: int
) -> list[Outgoing]:
    """A welcome call to the first ``calls`` players the gate lets operators call (few agree to calls)."""
    chosen = eligible_select(channel="call", message_class="marketing", at=at, policy=policy).subquery()
    ids = list(session.scalars(select(chosen.c.player_id).order_by(chosen.c.player_id).limit(calls)))
    names = dict(session.execute(select(Player.id, Player.first_name).where(Player.id.in_(ids))).all())
    items = []
    for player_id in ids:
        decision = gate.decide(session, player_id=player_id, channel="call", message_class="marketing", at=at)
        if decision.permit is not None:
            content = Content(body=CALL_SCRIPT.format(first_name=names[player_id]))
            items.append(Outgoing(decision.permit, content, dedupe_key=f"demo-welcome:call:{player_id}"))
    return items


async def _send_and_stop(engine: Engine, gateways: LocalGateways, result: WelcomeResult) -> None:
    # Calls go to our own operator queue, as `lottocrm dispatch` wires them: no gateway.
    async with Sender(engine, {**gateways.transports(), "call": CallListTransport(engine)}) as sender:
        reports = await sender.drain()
        result.sent = sum(report.sent for report in reports.values())
        for _ in range(100):  # receipts arrive on their own, a few milliseconds after each SMS
            await sender.settled()
            if sender.inbound_applied >= reports["sms"].sent:
                break
            await asyncio.sleep(0.05)
        with transaction(engine) as session:
            target = session.execute(
                select(Message.player_id, Message.contact_point).where(Message.channel == "sms").limit(1)
            ).first()
        if target is None:
            return
        applied = sender.inbound_applied
        await gateways.smsc.send_inbound(sender=target.contact_point, text="СТОП")
        for _ in range(100):
            await sender.settled()
            if sender.inbound_applied > applied:
                break
            await asyncio.sleep(0.05)
        with transaction(engine) as session:
            decision = gate.decide(
                session, player_id=target.player_id, channel="sms", message_class="marketing"
            )
            result.stopped_player, result.stop_reason = target.player_id, decision.blocked_by
            # Its own messages only: the demo's campaigns have sent theirs through the same gateways.
            welcome = Message.dedupe_key.like("demo-welcome:%")
            result.delivered = (
                session.scalar(select(func.count()).where(welcome, Message.status == "delivered")) or 0
            )
            # Held when queued (the permit's quiet hours) or when due (the dispatcher's): waiting either way.
            result.held = session.scalar(select(func.count()).where(welcome, Message.status == "queued")) or 0
            result.calls_filed = session.scalar(select(func.count()).where(CallTask.status == "open")) or 0
            result.calls_held = (
                session.scalar(
                    select(func.count()).where(Message.status == "queued", Message.channel == "call")
                )
                or 0
            )


def send_welcome(settings: Settings, engine: Engine, *, players: int = 20, calls: int = 3) -> WelcomeResult:
    """Queue the welcome to ``players`` contactable players and a welcome call to ``calls`` players who
    agreed to calls, send them (SMS, e-mail and push through the local gateways, calls onto the call list),
    then withdraw one player's SMS consent by a texted STOP."""
    result = WelcomeResult()
    version_id = _welcome_version(engine)
    result.queued = _queue_welcome(engine, version_id, players, calls)

    async def run() -> None:
        recorder = SandboxRecorder(engine)
        gateways = LocalGateways(recorder)
        await gateways.start()
        try:
            await _send_and_stop(engine, gateways, result)
        finally:
            await gateways.stop()
            recorder.close()

    asyncio.run(run())
    return result
