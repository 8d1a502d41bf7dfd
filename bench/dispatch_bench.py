"""A campaign from the gate to the provider: the whole dispatcher against the raw protocol client.

Loads N players (contactable_bench's loader: consents, a phone each, some blocked, excluded or withdrawn, a
cap ledger) into a scratch database, queues one marketing SMS for each through the gate in bulk
(``contact_policy.audience.issue_permits`` → ``messaging.service.queue_messages``, timed), then lets the
dispatcher send them — claim, recheck against the contactability rows, atomic cap reservation and the rows'
refresh, SMPP ``submit_sm`` to the local SMSC (in a child process, a core of its own), every delivery
receipt applied to the outbox — and stops the clock when the last receipt is applied. The raw engine, in
the same run: the bare ``smpp34`` client submitting as many messages and collecting their receipts.

``--channel email`` sends the same campaign by e-mail (every player gets an address and the e-mail
advertising consent) over ≤ 16 SMTP connections to the local sink, against raw aiosmtplib; ``--channel
push`` by web push (a browser subscription per player from the local push endpoint, which checks VAPID and
decrypts every push), against raw pywebpush. Both in child processes; neither sends receipts, so the clock
stops when the last message is settled.

``--templated`` queues the campaign as a marketer's template instead (``messaging.service.queue_templated``:
rows without text, one INSERT per chunk), and the dispatcher renders each batch when it claims it — the
players' variables read once a batch, the channel's bodies rendered with each message's own unsubscribe
link — as issue #14's 700 k campaign is to be sent ("text rendered at dispatch").

The clock is frozen on a Wednesday noon in Moscow (inside the sending hours) for the whole run.

    .venv/bin/python bench/dispatch_bench.py --players 700000
    .venv/bin/python bench/dispatch_bench.py --players 20000 --channel email
    .venv/bin/python bench/dispatch_bench.py --players 20000 --templated
    .venv/bin/python bench/dispatch_bench.py --players 100000 --skip-sqlite \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any
from unittest import mock

from contactable_bench import load
from email_bench import BOUNCES, SENDER, _sink_process
from email_bench import TEXT as EMAIL_TEXT
from email_bench import _raw as raw_email
from scratch_db import on_each_dialect
from sms_bench import PASSWORD, SYSTEM_ID, TEXT, _serve_smsc, raw_run
from sqlalchemy import Engine, func, insert, select
from webpush_bench import SUBJECT, _endpoint_process
from webpush_bench import _raw as raw_push

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.contact_policy import standing
from lottocrm.contact_policy.audience import issue_permits
from lottocrm.contact_policy.document import DEFAULT_POLICY
from lottocrm.db.engine import transaction
from lottocrm.messaging.channels.base import Transport
from lottocrm.messaging.channels.email import SmtpTransport, load_smtp_settings
from lottocrm.messaging.channels.push_router import PushRouter
from lottocrm.messaging.channels.sms.settings import SmppSettings
from lottocrm.messaging.channels.sms.transport import SmppTransport
from lottocrm.messaging.channels.webpush import WebPushTransport, generate_vapid_keys, load_webpush_settings
from lottocrm.messaging.models import Message, WebPushSubscription
from lottocrm.messaging.push_subscriptions import device_point
from lottocrm.messaging.sender import Sender
from lottocrm.messaging.service import Content, Outgoing, Templated, queue_messages, queue_templated
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.render import Bodies
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity

NOON = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)
QUEUE_CHUNK = 5_000
SMTP_CONNECTIONS = 16
PUSH_CONCURRENCY = 64
BODIES = {"sms": TEXT, "email": EMAIL_TEXT, "push": "Джекпот 300 млн ₽ в субботу. Билет {n} ждёт вас."}
# The templated campaign: each channel's text with the player's own values (the loader's players have names
# and regions; no loyalty account, record or next game, so those variables render as nothing).
TEMPLATED = {
    "sms": Bodies(sms_text="{{ first_name }}, джекпот 300 млн ₽ в субботу! {{ region_name }}. Отказ: СТОП"),
    "email": Bodies(
        email_subject="{{ first_name }}, тираж в субботу",
        email_text=(
            "{{ first_name }} {{ last_name }}, здравствуйте!\n\nДжекпот 300 млн ₽ в субботу. "
            "{{ loyalty_balance|points }}\n\nОтписаться: {{ unsubscribe_url }}"
        ),
    ),
    "push": Bodies(
        push_title="Джекпот 300 млн ₽", push_body="{{ first_name }}, билет ждёт вас в приложении."
    ),
}
BENCH = Actor("cli:bench")


@dataclass
class Gateway:
    """A local provider in a child process: SMSC, SMTP sink or push endpoint."""

    channel: str
    process: multiprocessing.Process
    control: Connection
    port: int = 0
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    vapid_key: str = ""

    def stop(self) -> None:
        self.control.send("stop")
        if self.channel == "sms":
            self.control.recv()
        self.process.join(timeout=10)


def _push_endpoint_at_noon(control: Connection, subscriptions: int) -> None:
    # The dispatcher signs its VAPID tokens on the frozen clock; the endpoint checks them on the same one.
    with clock.frozen(NOON):
        _endpoint_process(control, subscriptions)


def start_gateway(channel: str, players: int) -> Gateway:
    # Spawned, not forked: a fork of this process, which by then has database and event-loop threads, can
    # inherit a lock another thread held, and the gateway never starts (the second dialect's run hung).
    spawn = multiprocessing.get_context("spawn")
    parent, child = spawn.Pipe()
    target, args = {
        "sms": (_serve_smsc, (child,)),
        "email": (_sink_process, (child,)),
        "push": (_push_endpoint_at_noon, (child, players)),
    }[channel]
    process = spawn.Process(target=target, args=args, daemon=True)
    process.start()
    gateway = Gateway(channel, process, parent)
    if channel == "push":
        gateway.subscriptions, gateway.vapid_key = parent.recv(), generate_vapid_keys().private_key
    else:
        gateway.port = parent.recv()
    return gateway


def prepare(engine: Engine, gateway: Gateway) -> None:
    """Give every player the channel's address and advertising consent (the loader gives phones and SMS
    consent only), then rebuild their contactability rows."""
    if gateway.channel == "sms":
        return
    with transaction(engine) as session:
        ids = list(session.scalars(select(Player.id).order_by(Player.id)))
    identities, subscriptions = [], []
    for player_id, subscription in zip(ids, gateway.subscriptions or [None] * len(ids), strict=False):
        if gateway.channel == "email":
            value = f"p{player_id}@example.com"
        else:
            assert subscription is not None
            value = device_point(subscription["endpoint"])
            keys = subscription["keys"]
            subscriptions.append(
                {"player_id": player_id, "device": value, "endpoint": subscription["endpoint"],
                 "p256dh": keys["p256dh"], "auth": keys["auth"], "created_at": NOON}
            )  # fmt: skip
        kind = "email" if gateway.channel == "email" else "device"
        identities.append({"player_id": player_id, "kind": kind, "value": value, "verified": True,
                           "created_at": NOON})  # fmt: skip
    consents = [
        {"player_id": player_id, "purpose": "advertising", "channel": gateway.channel, "granted": True,
         "occurred_at": NOON, "source": "website", "notice_version": "ad-2025.1", "recorded_at": NOON}
        for player_id in ids
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(PlayerIdentity.__table__), identities)
        connection.execute(insert(ConsentEvent.__table__), consents)
        if subscriptions:
            connection.execute(insert(WebPushSubscription.__table__), subscriptions)
    with clock.frozen(NOON), engine.begin() as connection:
        standing.rebuild(connection, policy=DEFAULT_POLICY)


def transport_for(gateway: Gateway, window: int) -> Transport:
    if gateway.channel == "sms":
        sms = SmppSettings(host="127.0.0.1", port=gateway.port, system_id=SYSTEM_ID, password=PASSWORD,
                           source_addr="LOTTO", window=window)  # fmt: skip
        return SmppTransport(settings=sms)
    if gateway.channel == "email":
        smtp = load_smtp_settings(smtp_host="127.0.0.1", smtp_port=gateway.port, smtp_from=SENDER,
                                  smtp_connections=SMTP_CONNECTIONS, smtp_bounce_address=BOUNCES)  # fmt: skip
        return SmtpTransport(settings=smtp)
    settings = load_webpush_settings(vapid_private_key=gateway.vapid_key, vapid_subject=SUBJECT,
                                     webpush_concurrency=PUSH_CONCURRENCY)  # fmt: skip
    return PushRouter(web=WebPushTransport(settings=settings))


def raw_rate(gateway: Gateway, messages: int, window: int) -> float:
    """Messages a second of the bare protocol client against the same gateway."""
    if gateway.channel == "sms":
        run = asyncio.run(asyncio.wait_for(raw_run(gateway.port, messages=messages, window=window,
                                                   offset=30_000_000), 900))  # fmt: skip
        return run.rate
    if gateway.channel == "email":
        return messages / asyncio.run(raw_email(gateway.port, messages, SMTP_CONNECTIONS))
    # The endpoint checks tokens on the frozen clock; pywebpush would replace an expiry that its own wall
    # clock finds past, so its clock reads the frozen noon too.
    exp = int((NOON + dt.timedelta(hours=12)).timestamp())
    with mock.patch("pywebpush.time.time", return_value=NOON.timestamp()):
        return messages / asyncio.run(
            raw_push(gateway.subscriptions, messages, PUSH_CONCURRENCY, gateway.vapid_key, exp=exp)
        )


def publish_template(engine: Engine, channel: str) -> int:
    """The templated campaign's published version (not timed: a marketer made it before the launch)."""
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=BENCH, code=f"bench-{channel}", name="Бенчмарк", message_class="marketing"
        )
        draft = templates.save_draft(session, actor=BENCH, template_id=template.id, bodies=TEMPLATED[channel])
        return templates.publish_version(session, actor=BENCH, version_id=draft.version.id).id


def queue_campaign(engine: Engine, channel: str, version_id: int | None = None) -> tuple[int, float]:
    """Queue one message per player through the gate, rendered now, or (``version_id``) rendered at
    dispatch; the count and the seconds it took."""
    started = time.perf_counter()
    queued = 0
    with transaction(engine) as session:
        ids = list(session.scalars(select(Player.id).order_by(Player.id)))
    for first in range(0, len(ids), QUEUE_CHUNK):
        with transaction(engine) as session:
            permits = issue_permits(
                session,
                player_ids=ids[first : first + QUEUE_CHUNK],
                channel=channel,
                message_class="marketing",
                source_kind="campaign",
                source_id="bench",
            )
            if version_id is not None:
                templated = [Templated(p, version_id, f"bench:{channel}:{p.player_id}") for p in permits]
                queued += len([m for m in queue_templated(session, templated) if m is not None])
                continue
            body = BODIES[channel]
            items = [
                Outgoing(
                    permit=p, content=Content(body=body.format(n=p.player_id), subject="Тираж в субботу")
                )
                for p in permits
            ]
            queued += len([m for m in queue_messages(session, items) if m is not None])
    return queued, time.perf_counter() - started


def _statuses(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        return dict(session.execute(select(Message.status, func.count()).group_by(Message.status)).all())


async def dispatch_all(engine: Engine, transport: Transport, channel: str) -> float:
    started = time.perf_counter()
    async with Sender(engine, {channel: transport}) as sender:
        await sender.drain(limit=500)
        # SMS receipts arrive on the bind after the last submission: wait until every one is applied, or
        # until none has come for 30 s (the local SMSC gives a receipt up when no bind takes it for a while;
        # the outcome column then shows messages still "sent").
        waiting, last_change = _statuses(engine).get("sent", 0), time.monotonic()
        while channel == "sms" and waiting and time.monotonic() - last_change < 30:
            await sender.settled()
            await asyncio.sleep(0.05)
            now_waiting = _statuses(engine).get("sent", 0)
            if now_waiting != waiting:
                waiting, last_change = now_waiting, time.monotonic()
        await sender.settled()
    return time.perf_counter() - started


def measure(engine: Engine, label: str, players: int, window: int, channel: str, templated: bool) -> None:
    load(engine, players)
    gateway = start_gateway(channel, players)
    try:
        prepare(engine, gateway)
        with clock.frozen(NOON):
            version_id = publish_template(engine, channel) if templated else None
            queued, queue_seconds = queue_campaign(engine, channel, version_id)
            load_before = os.getloadavg()[0]
            # The raw client first, on a fresh gateway, then the dispatcher.
            raw = raw_rate(gateway, queued, window)
            dispatch_seconds = asyncio.run(dispatch_all(engine, transport_for(gateway, window), channel))
    finally:
        gateway.stop()
    statuses = _statuses(engine)
    with transaction(engine) as session:
        errors = Counter(
            error[:60]
            for error in session.scalars(select(Message.last_error).where(Message.last_error.is_not(None)))
        ).most_common(5)
    for error, count in errors:
        print(f"<!-- {count:,} messages last refused with: {error} -->")
    rate = queued / dispatch_seconds
    final = "delivered" if channel == "sms" else "sent"
    unreceipted = statuses.get("sent", 0) if channel == "sms" else 0
    outcome = (
        f"{statuses.get(final, 0):,} {final}, {unreceipted:,} without a receipt, "
        f"{statuses.get('queued', 0):,} to retry, {statuses.get('cancelled', 0):,} stopped at dispatch"
    )
    kind = f"{channel}, templated" if templated else channel
    print(
        f"| {kind} | {label} | {players:,} | {queued:,} | {queue_seconds:.1f} s "
        f"({queued / queue_seconds:,.0f}/s) | {dispatch_seconds:.1f} s | {rate:,.0f} msg/s "
        f"| {raw:,.0f} msg/s | {raw / rate:.1f}× | {outcome} | {load_before:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--channel", choices=("sms", "email", "push"), default="sms")
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument(
        "--templated", action="store_true", help="queue a template's messages, rendered at dispatch"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    print(
        "| channel | dialect | players | queued | queue through the gate | dispatch, last message settled "
        "| dispatcher | raw client | raw ÷ dispatcher | outcome | load before |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    on_each_dialect(
        args.postgres,
        lambda engine, label: measure(engine, label, args.players, args.window, args.channel, args.templated),
        skip_sqlite=args.skip_sqlite,
    )


if __name__ == "__main__":
    main()
