"""A 30-day simulation: players across eleven time zones, a campaign a day on SMS, e-mail and push with
service messages besides, and the players' own events in between — consent withdrawn at the call centre,
by the unsubscribe link and by a texted STOP from the SMSC's side, self-exclusions and time-outs started,
returns recorded, hard bounces, unknown numbers and gone app tokens, birthdays — all through the real
services, dispatched every simulated hour by a real ``Sender`` over the local SMPP, SMTP and FCM gateways.

At the end an oracle written from the policy's text (``helpers/month_oracle.py``) goes through what the
GATEWAYS received (their own records, each with our outbox id), joined to the consent ledger and the
responsible-gaming history: no marketing to a player without advertising and personal-data consent,
self-excluded or awaiting a return, timed out, over a spending limit, under 18 or of unknown age; none
inside quiet hours in the player's zone (production calendar included); none after a withdrawal or a
self-exclusion recorded before its dispatch; no cap window overshot; no message received twice; every queued
message ends sent, delivered, failed, cancelled or still held for quiet hours.

``LOTTOCRM_MONTH_PLAYERS`` sets the number of players (default 10000, to keep the whole suite within its time
budget; 100000 or more for a longer check). Campaigns and events are sized to the population (see ``_sizes``),
with floors that a population of 28 000 or fewer gets alike: 40 marketing messages per channel a day.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter

import pytest
from sqlalchemy import Engine, func, select

from helpers.dialects import LARGEST_DATABASE
from helpers.month_oracle import Received, check
from helpers.month_population import DAYS, END, START, Population, load
from helpers.month_world import Month
from lottocrm import clock
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.document import DEFAULT_POLICY
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.contact_policy.selection import waterfall
from lottocrm.db.engine import transaction
from lottocrm.messaging.channels.email.compose import message_id_from_header
from lottocrm.messaging.models import Message
from lottocrm.players.models import ConsentEvent
from lottocrm.settings import Settings

PLAYERS = int(os.environ.get("LOTTOCRM_MONTH_PLAYERS", "10000"))
# Stops that must fire at dispatch, on a message queued before the fact that stops it.
STOPS_AT_DISPATCH = ("consent_withdrawn", "self_excluded", "timed_out", "cap")
# Refusals by the gateways that must make an address unreachable: SMTP 550, ESME_RINVDSTADR, FCM 404.
REFUSALS = ("hard_bounce", "invalid_address", "gone")


def _sizes(players: int) -> dict[str, int]:
    """Per day: marketing messages per channel, service messages per channel; events per hour."""
    return {
        "campaign_size": max(40, players // 700),
        "service_size": max(10, players // 2000),
        "events_per_hour": 3,
    }


def _received(engine: Engine, month: Month) -> tuple[list[Received], list[str]]:
    """The gateways' records resolved to outbox messages: SMS by the SMSC's message id (the provider id the
    dispatcher stored), e-mail by the Message-ID we wrote, push by the outbox id in the FCM data."""
    with engine.connect() as connection:
        messages = {row.id: row for row in connection.execute(select(Message))}
    by_provider = {m.provider_id: m.id for m in messages.values() if m.channel == "sms" and m.provider_id}
    received, unknown = [], []
    for arrival in month.log.arrivals:
        if arrival.gateway == "sms":
            message_id = by_provider.get(arrival.detail.get("provider_id"))
        elif arrival.gateway == "email":
            message_id = message_id_from_header(arrival.detail.get("message_id"))
        else:
            message_id = int(arrival.detail["message_id"]) if arrival.detail.get("message_id") else None
        message = messages.get(message_id) if message_id is not None else None
        if message is None or message.channel != arrival.gateway:
            unknown.append(f"{arrival.gateway} to {arrival.recipient} at {arrival.at}")
            continue
        received.append(
            Received(
                message.id,
                arrival.at,
                message.player_id,
                message.channel,
                message.message_class,
                message.address,
            )
        )
    return received, unknown


def _losses(engine: Engine, received: list[Received]) -> list[str]:
    """Messages neither ended nor legitimately held, and sent messages no gateway received (or the other
    way round)."""
    found = []
    with engine.connect() as connection:
        rows = connection.execute(
            select(Message.id, Message.status, Message.next_attempt_at, Message.not_before)
        ).all()
    for row in rows:
        if row.status in ("sending", "in_doubt"):
            found.append(f"message {row.id} left {row.status}")
        elif row.status == "queued" and (row.next_attempt_at <= END or row.not_before is None):
            found.append(f"message {row.id} queued, not held for quiet hours, at the end")
    sent = {row.id for row in rows if row.status in ("sent", "delivered")}
    arrived = {m.message_id for m in received}
    found += [f"message {i} sent but never received" for i in sorted(sent - arrived)[:20]]
    found += [f"message {i} received but not sent" for i in sorted(arrived - sent)[:20]]
    return found


@pytest.mark.slow
@LARGEST_DATABASE
def test_a_month_of_messages_keeps_every_rule_of_the_contact_policy(
    engine: Engine, settings: Settings
) -> None:
    started = time.perf_counter()
    with clock.frozen(START) as frozen:
        population = load(engine, PLAYERS)
        loaded = time.perf_counter() - started
        with transaction(engine) as session:
            at_start = waterfall(session, channel="sms", message_class="marketing")
        month = Month(engine, settings, population, frozen, **_sizes(PLAYERS))
        asyncio.run(month.run())
        with transaction(engine) as session:
            at_end = waterfall(session, channel="sms", message_class="marketing")
            assert gate.current_policy(session)[1] == DEFAULT_POLICY
    received, unknown = _received(engine, month)
    verdict = check(engine, received, population=population, stops=month.stops, policy=DEFAULT_POLICY)
    losses = _losses(engine, received)
    with engine.connect() as connection:
        statuses = Counter(
            dict(connection.execute(select(Message.status, func.count()).group_by(Message.status)).all())
        )
        cancelled = Counter(
            dict(
                connection.execute(
                    select(Message.last_error, func.count())
                    .where(Message.status == "cancelled")
                    .group_by(Message.last_error)
                ).all()
            )
        )
        # A failure's last_error is "<reason>: <the provider's words>".
        failed = Counter(
            (error or "").split(":", 1)[0]
            for error in connection.scalars(select(Message.last_error).where(Message.status == "failed"))
        )
        held = connection.scalar(select(func.count()).where(ContactHistory.outcome == "held")) or 0
        replies = connection.scalar(select(func.count()).where(ConsentEvent.source == "sms_reply")) or 0
        links = connection.scalar(select(func.count()).where(ConsentEvent.source == "unsubscribe_link")) or 0
    print(
        f"\nmonth: {PLAYERS} players, {DAYS} days; received {dict(sorted(verdict.checked.items()))}; "
        f"queued {month.queued}, statuses {dict(statuses)}; blocked at dispatch {dict(cancelled)}; "
        f"failed {dict(failed)}; "
        f"refused at queueing {dict(month.refused_at_queue)}; held {held} times; "
        f"events {dict(month.events)}; "
        f"STOP {replies}, unsubscribe links {links}; sms waterfall start {at_start} end {at_end}; "
        f"seconds: load {loaded:.0f}, {', '.join(f'{k} {v:.0f}' for k, v in month.seconds.items())}"
    )
    assert unknown == [], unknown[:10]
    assert dict(verdict.violations) == {}, {kind: found[:5] for kind, found in verdict.violations.items()}
    assert losses == [], losses[:10]
    _assert_enough_happened(population, month, received, verdict.checked, cancelled, held, at_start, at_end)
    assert all(failed[reason] for reason in REFUSALS) and at_end.get("unreachable"), (failed, at_end)
    assert replies and links


def _assert_enough_happened(
    population: Population,
    month: Month,
    received: list[Received],
    checked: Counter[str],
    cancelled: Counter[str],
    held: int,
    at_start: dict[str | None, int],
    at_end: dict[str | None, int],
) -> None:
    """A simulation where nothing was at stake proves nothing: every channel carried thousands (at 10^5),
    every stop fired at dispatch on an already-queued message, the audience saw every kind of player."""
    for channel in ("sms", "email", "push"):
        assert checked[f"{channel}:marketing"] >= month.campaign_size * DAYS // 3, (channel, checked)
        assert checked[f"{channel}:service"] > 0, (channel, checked)
    missing = [reason for reason in STOPS_AT_DISPATCH if not cancelled[reason]]
    assert missing == [], (missing, cancelled)
    assert held > 0 and set(month.events) == {
        "withdraw",
        "unsubscribe",
        "stop",
        "self_exclude",
        "timeout",
        "return",
        "grant",
    }, month.events
    for reason in ("under_age", "age_unknown", "self_excluded", "awaiting_return", "timed_out"):
        assert at_start.get(reason), (reason, at_start)
    assert at_start.get("spend_limit_reached") and not at_end.get("spend_limit_reached")
    assert at_end.get("awaiting_return"), at_end
    # Birthdays: players under 18 on the first day got marketing once they turned 18 (the oracle checked
    # that none came before).
    minors = population.minors_at_start()
    assert any(m.player_id in minors and m.message_class == "marketing" for m in received)
