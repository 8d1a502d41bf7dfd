"""The 30-day simulation's world: campaigns, service messages and the players' events, each through the
real services, and a real dispatcher over the local gateways, hour by simulated hour.

Hourly steps because the rules that move with time move no finer: quiet hours begin and end on the hour in
every zone, held messages are released over the hour after (``release_spread_minutes``), time-outs and cap
windows are counted in hours. Within an hour the events happen at distinct minutes after the dispatch, so a
withdrawal is always recorded strictly before the next dispatch and never at the same instant.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from helpers.month_oracle import Stops
from helpers.month_population import AD_CHANNELS, DAYS, END, START, Population, adult_on
from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.clock import FrozenClock
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.selection import eligible_select
from lottocrm.db.engine import transaction
from lottocrm.messaging import dispatch, unsubscribe
from lottocrm.messaging.gateways.local import LocalGateways
from lottocrm.messaging.models import Message
from lottocrm.messaging.sender import Sender
from lottocrm.messaging.service import Content, Outgoing, queue_messages
from lottocrm.players.consents import record_consent
from lottocrm.players.models import ConsentEvent, ResponsibleGaming
from lottocrm.players.responsible_gaming import change_responsible_gaming, record_return, start_timeout
from lottocrm.settings import Settings

SIMULATION = Actor("job:month-simulation")
CAMPAIGN_HOUR = 6  # UTC: 08:00 in Kaliningrad (held), 18:00 in Kamchatka
SERVICE_HOUR = 11
# Each kind of event and its weight: returns are rarer than exclusions, so some run out with none recorded.
EVENT_KINDS = {
    "withdraw": 3,
    "unsubscribe": 2,
    "stop": 2,
    "self_exclude": 2,
    "timeout": 2,
    "return": 1,
    "grant": 2,
}


@dataclass(frozen=True)
class Arrival:
    """One message as a gateway received it: its own record, stamped with the simulated time."""

    gateway: str
    recipient: str
    at: dt.datetime
    detail: dict[str, Any]


class GatewayLog:
    """The gateways' recorder (``LocalGateways(recorder)``), kept in memory: called from the SMSC's thread
    and from the event loop; a list's append is atomic."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        # The latest e-mails' one-click unsubscribe links, for players who use them.
        self.unsubscribe_links: deque[str] = deque(maxlen=500)

    def record(
        self,
        gateway: str,
        *,
        recipient: str,
        text: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.arrivals.append(Arrival(gateway, recipient, clock.now(), dict(detail or {})))
        if detail and detail.get("unsubscribe"):
            self.unsubscribe_links.append(detail["unsubscribe"])


@dataclass
class Month:
    engine: Engine
    settings: Settings
    population: Population
    frozen: FrozenClock
    campaign_size: int
    service_size: int
    events_per_hour: int
    rng: random.Random = field(default_factory=lambda: random.Random(13))
    log: GatewayLog = field(default_factory=GatewayLog)
    events: Counter[str] = field(default_factory=Counter)
    refused_at_queue: Counter[str] = field(default_factory=Counter)
    queued: int = 0
    # Wall-clock seconds per part of the month (queueing, dispatch, events): where the run time goes.
    seconds: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.stops = Stops.from_population(self.population)
        self.gateways = LocalGateways(self.log)  # type: ignore[arg-type]
        # player → the end of their latest self-exclusion and whether a return followed it.
        self.excluded = {
            p.player_id: (p.excluded_until, p.returned)
            for p in self.population.people.values()
            if p.excluded_until is not None
        }

    @contextmanager
    def _timed(self, part: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[part] += time.perf_counter() - started

    # ── the month ────────────────────────────────────────────────────────────────────────────────────

    async def run(self) -> None:
        self.gateways.smsc.invalid_numbers = set(self.population.bad_phones)
        await self.gateways.start()
        for token in self.population.gone_devices:
            self.gateways.push.mark_token_gone(token)
        try:
            async with Sender(self.engine, self.gateways.transports()) as sender:
                for hour in range(DAYS * 24):
                    at = START + dt.timedelta(hours=hour)
                    self.frozen.set(at)
                    with self._timed("queueing"):
                        if at.hour == CAMPAIGN_HOUR:
                            self.campaign(hour // 24)
                        if at.hour == SERVICE_HOUR:
                            self.service_messages(hour // 24)
                    with self._timed("dispatch"):
                        for channel in self._channels_due(at):
                            await dispatch.drain(self.engine, sender.transports[channel], channel=channel)
                        await sender.settled()
                    with self._timed("events"):
                        for minute in sorted(self.rng.sample(range(5, 56), self.events_per_hour)):
                            self.frozen.set(at + dt.timedelta(minutes=minute))
                            await self.event(sender)
                self.frozen.set(END)
                await sender.drain()  # every channel, due or not: nothing is left behind
                await self._receipts(sender)
        finally:
            await self.gateways.stop()

    def _channels_due(self, at: dt.datetime) -> list[str]:
        """The channels a dispatcher would find work on: most simulated hours have none, and an idle claim
        per channel and hour would cost more than the month's real work."""
        with self.engine.connect() as connection:
            return sorted(
                connection.scalars(
                    select(Message.channel)
                    .where(Message.status == "queued", Message.next_attempt_at <= at)
                    .distinct()
                )
            )

    async def _receipts(self, sender: Sender) -> None:
        """Wait for the delivery receipts of every SMS sent (the SMSC sends them a moment later)."""
        for _ in range(400):
            await sender.settled()
            with transaction(self.engine) as session:
                waiting = session.scalar(
                    select(func.count()).where(Message.channel == "sms", Message.status == "sent")
                )
            if not waiting:
                return
            await asyncio.sleep(0.05)

    # ── what is sent ─────────────────────────────────────────────────────────────────────────────────

    def _queue(self, session: Any, decisions: list[tuple[Any, str, str]]) -> None:
        items = []
        for decision, source, body in decisions:
            if decision.permit is None:
                self.refused_at_queue[decision.blocked_by] += 1
                continue
            content = Content(body=body, subject="Тираж" if decision.channel != "sms" else None)
            key = f"{source}:{decision.channel}:{decision.player_id}"
            items.append(Outgoing(decision.permit, content, dedupe_key=key))
        self.queued += sum(1 for message_id in queue_messages(session, items) if message_id is not None)

    def campaign(self, day: int) -> None:
        """The day's campaign on each channel to a sample of the eligible audience, and a second one picked
        from the same audience before the first left: the gate permits both, so only the dispatcher's cap
        ledger stands between a player and a second SMS that day."""
        with transaction(self.engine) as session:
            at = clock.now()
            _, policy = gate.current_policy(session)
            decisions = []
            for channel in AD_CHANNELS:
                audience = eligible_select(
                    channel=channel, message_class="marketing", at=at, policy=policy
                ).subquery()
                ids = sorted(session.scalars(select(audience.c.player_id)))
                chosen = self.rng.sample(ids, min(self.campaign_size, len(ids)))
                for source, players in (
                    (f"daily-{day}", chosen),
                    (f"flash-{day}", chosen[: len(chosen) // 6]),
                ):
                    for player_id in players:
                        decision = gate.decide(
                            session,
                            player_id=player_id,
                            channel=channel,
                            message_class="marketing",
                            at=at,
                            source_kind="campaign",
                            source_id=source,
                        )
                        decisions.append((decision, source, f"Суперприз в субботу! {source}. Отписка: СТОП"))
            self._queue(session, decisions)

    def service_messages(self, day: int) -> None:
        """Win notices: service messages, which responsible gaming does not stop (consent to them does)."""
        with transaction(self.engine) as session:
            players = self.rng.sample(sorted(self.population.people), self.service_size)
            decisions = [
                (
                    gate.decide(
                        session,
                        player_id=player_id,
                        channel=channel,
                        message_class="service",
                        source_kind="case",
                    ),
                    f"win-{day}",
                    "Ваш билет выиграл 100 ₽",
                )
                for player_id in players
                for channel in AD_CHANNELS
            ]
            self._queue(session, decisions)

    # ── what the players do ──────────────────────────────────────────────────────────────────────────

    def _someone_waiting(self, channel: str | None = None) -> tuple[int, str] | None:
        """A player with a marketing message still queued (held for quiet hours or not yet due): events on
        them test that nothing already queued leaves after a stop."""
        with transaction(self.engine) as session:
            query = select(Message.player_id, Message.channel).where(
                Message.status == "queued", Message.message_class == "marketing"
            )
            if channel is not None:
                query = query.where(Message.channel == channel)
            waiting = session.execute(query.limit(300)).all()
        return tuple(self.rng.choice(waiting)) if waiting else None  # type: ignore[return-value]

    async def event(self, sender: Sender) -> None:
        (kind,) = self.rng.choices(list(EVENT_KINDS), weights=list(EVENT_KINDS.values()))
        done = await getattr(self, f"_{kind}")(sender)
        if done:
            self.events[kind] += 1

    async def _withdraw(self, sender: Sender) -> bool:
        target = self._someone_waiting()
        if target is None:
            return False
        with transaction(self.engine) as session:
            record_consent(
                session,
                actor=SIMULATION,
                player_id=target[0],
                purpose="advertising",
                channel=target[1],
                granted=False,
                source="call_centre",
                notice_version="v1",
                occurred_at=clock.now(),
            )
        return True

    async def _unsubscribe(self, sender: Sender) -> bool:
        links = self.log.unsubscribe_links
        if not links:
            return False
        token = links[self.rng.randrange(len(links))].strip("<>").rsplit("/", 1)[1]
        request = unsubscribe.read_token(unsubscribe.secret_key(self.settings), token)
        with transaction(self.engine) as session:
            return unsubscribe.unsubscribe(session, request)

    async def _stop(self, sender: Sender) -> bool:
        target = self._someone_waiting("sms")
        phone = self.population.people[target[0]].phone if target else None
        if target is None or phone is None:
            return False
        await self.gateways.smsc.send_inbound(sender=phone, text="СТОП")
        # inbound.py records the withdrawal on a worker thread: wait until the ledger shows it.
        for _ in range(200):
            await sender.settled()
            with transaction(self.engine) as session:
                recorded = session.scalar(
                    select(func.count()).where(
                        ConsentEvent.player_id == target[0], ConsentEvent.source == "sms_reply"
                    )
                )
            if recorded:
                return True
            await asyncio.sleep(0.02)
        raise AssertionError(f"the STOP from {phone} was never recorded")

    async def _self_exclude(self, sender: Sender) -> bool:
        target = self._someone_waiting()
        if target is None:
            return False
        player_id = target[0]
        with transaction(self.engine) as session:
            state = session.get(ResponsibleGaming, player_id)
            until = clock.operator_day() + dt.timedelta(days=self.rng.randint(1, 10))
            if state is not None and state.self_excluded_until == until:
                until += dt.timedelta(days=1)
            change_responsible_gaming(
                session,
                actor=SIMULATION,
                player_id=player_id,
                self_excluded_until=until,
                monthly_spend_limit_kopecks=state.monthly_spend_limit_kopecks if state else None,
            )
        self.stops.add(player_id, "self_excluded", clock.now())
        self.excluded[player_id] = (until, False)
        return True

    async def _timeout(self, sender: Sender) -> bool:
        target = self._someone_waiting()
        if target is None:
            return False
        until = clock.now() + dt.timedelta(hours=self.rng.randint(2, 48))
        with transaction(self.engine) as session:
            start_timeout(session, actor=SIMULATION, player_id=target[0], until=until)
        self.stops.add(target[0], "timed_out", clock.now(), until)
        return True

    async def _return(self, sender: Sender) -> bool:
        today = clock.operator_day()
        ended = sorted(
            player_id for player_id, (until, back) in self.excluded.items() if until < today and not back
        )
        if not ended:
            return False
        player_id = self.rng.choice(ended)
        with transaction(self.engine) as session:
            record_return(session, actor=SIMULATION, player_id=player_id)
        self.stops.end_exclusion(player_id, clock.now())
        self.excluded[player_id] = (self.excluded[player_id][0], True)
        return True

    async def _grant(self, sender: Sender) -> bool:
        today = clock.operator_day()
        person = self.population.people[self.rng.randint(1, len(self.population.people))]
        if person.birth_date is None or adult_on(person.birth_date) > today:
            return False
        with transaction(self.engine) as session:
            record_consent(
                session,
                actor=SIMULATION,
                player_id=person.player_id,
                purpose="advertising",
                channel=self.rng.choice(AD_CHANNELS),
                granted=True,
                source="website",
                notice_version="v2",
                occurred_at=clock.now(),
            )
        return True
