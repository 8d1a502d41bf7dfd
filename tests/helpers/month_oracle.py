"""The 30-day simulation's oracle: the contact policy's rules, written again from their text, applied to
what the gateways received.

It reads the gateways' own records (one per received message, with our outbox id), the consent ledger and
the list of unreachable addresses from the database, and the responsible-gaming history the simulation
kept as it called the services (:class:`Stops`). It never asks the gate: it imports only the production
calendar (``rules.is_day_off``), the region → zone table and the policy's settings, which are the rules'
data, not their evaluation.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from helpers.month_population import Population, adult_on
from lottocrm import clock, vocab
from lottocrm.contact_policy.document import WINDOWS, PolicySettings
from lottocrm.contact_policy.models import UnreachablePoint
from lottocrm.contact_policy.rules import is_day_off
from lottocrm.players.models import ConsentEvent

FOREVER = dt.datetime.max.replace(tzinfo=dt.UTC)
BEFORE_ALL = dt.datetime.min.replace(tzinfo=dt.UTC)
_PLAYERS_PER_READ = 2_000


@dataclass(frozen=True)
class Received:
    """One message as a gateway received it, with what the outbox says it was."""

    message_id: int
    at: dt.datetime
    player_id: int
    channel: str
    message_class: str
    contact_point: str


@dataclass
class Stops:
    """Spans of time when marketing must not reach a player, from the responsible-gaming facts at the start
    and the services the simulation called: ``kind`` → list of [start, end)."""

    spans: dict[int, list[tuple[str, dt.datetime, dt.datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, player_id: int, kind: str, start: dt.datetime, end: dt.datetime = FOREVER) -> None:
        self.spans[player_id].append((kind, start, end))

    def end_exclusion(self, player_id: int, at: dt.datetime) -> None:
        """A recorded return closes the open self-exclusion (running out alone closes nothing)."""
        self.spans[player_id] = [
            (kind, start, at if kind == "self_excluded" and end == FOREVER else end)
            for kind, start, end in self.spans[player_id]
        ]

    def stopped_by(self, player_id: int, at: dt.datetime) -> str | None:
        return next((kind for kind, start, end in self.spans.get(player_id, ()) if start <= at < end), None)

    @classmethod
    def from_population(cls, population: Population) -> Stops:
        stops = cls()
        for person in population.people.values():
            if person.status != "active":
                stops.add(person.player_id, "player_not_active", BEFORE_ALL)
            if person.excluded_until is not None and not person.returned:
                stops.add(person.player_id, "self_excluded", BEFORE_ALL)
            if person.timeout_until is not None:
                stops.add(person.player_id, "timed_out", BEFORE_ALL, person.timeout_until)
            if person.limit_until is not None:
                ends = clock.day_bounds(person.limit_until)[1]
                stops.add(person.player_id, "spend_limit_reached", BEFORE_ALL, ends)
        return stops


class ConsentLedger:
    """The consent events as recorded, asked "what was the latest one known at ``at``"."""

    def __init__(self, engine: Engine, player_ids: set[int]) -> None:
        self._events: dict[int, list[Any]] = defaultdict(list)
        ordered = sorted(player_ids)
        with engine.connect() as connection:
            for start in range(0, len(ordered), _PLAYERS_PER_READ):
                rows = connection.execute(
                    select(
                        ConsentEvent.id,
                        ConsentEvent.player_id,
                        ConsentEvent.purpose,
                        ConsentEvent.channel,
                        ConsentEvent.granted,
                        ConsentEvent.occurred_at,
                        ConsentEvent.recorded_at,
                    )
                    .where(ConsentEvent.player_id.in_(ordered[start : start + _PLAYERS_PER_READ]))
                    .order_by(ConsentEvent.occurred_at, ConsentEvent.id)
                )
                for row in rows:
                    self._events[row.player_id].append(row)

    def granted(self, player_id: int, purpose: str, channel: str | None, at: dt.datetime) -> bool:
        """The latest event (by occurrence, then by order recorded) known at ``at`` is a grant."""
        latest = None
        for event in self._events.get(player_id, ()):
            if event.recorded_at <= at and event.purpose == purpose and channel in (None, event.channel):
                latest = event
        return latest is not None and bool(latest.granted)


def _quiet(message: Received, region: str, policy: PolicySettings) -> bool:
    rule = policy.quiet_rule(message.channel, message.message_class)
    if rule is None:
        return False
    local = message.at.astimezone(clock.zone_named(vocab.REGION_ZONES[region]))
    hours = rule.days_off if is_day_off(local.date()) else rule.working_days
    return not hours.start <= local.time() < hours.end


def _marketing_stop(
    message: Received, population: Population, stops: Stops, consents: ConsentLedger
) -> str | None:
    """Why this marketing message must not have been received, or None."""
    person = population.people[message.player_id]
    if person.birth_date is None:
        return "age_unknown"
    if clock.operator_day(message.at) < adult_on(person.birth_date):
        return "under_age"
    if (stopped := stops.stopped_by(message.player_id, message.at)) is not None:
        return stopped
    if not consents.granted(message.player_id, "personal_data", None, message.at):
        return "no_personal_data_consent"
    if not consents.granted(message.player_id, "advertising", message.channel, message.at):
        return "no_advertising_consent"
    return None


def cap_overshoots(received: list[Received], policy: PolicySettings) -> list[str]:
    """Every capped message whose rolling window (its own moment included, as the ledger counts) holds
    more messages than a rule of the policy allows."""
    found = []
    capped = [m for m in received if m.message_class in policy.capped_classes]
    for rule in policy.caps:
        groups: dict[tuple[Any, ...], list[dt.datetime]] = defaultdict(list)
        for m in capped:
            if rule.channel not in ("all", m.channel):
                continue
            key = (m.contact_point, m.channel) if rule.per == "contact_point" else (m.player_id,)
            groups[key].append(m.at)
        window = WINDOWS[rule.window]
        for key, moments in groups.items():
            moments.sort()
            for at in moments:
                upto = bisect.bisect_right(moments, at)
                since = bisect.bisect_left(moments, at - window)
                if upto - since > rule.limit:
                    found.append(f"{rule.channel}/{rule.per}/{rule.window}>{rule.limit} at {key} {at}")
                    break
    return found


@dataclass
class Verdict:
    violations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    checked: Counter[str] = field(default_factory=Counter)


def check(
    engine: Engine,
    received: list[Received],
    *,
    population: Population,
    stops: Stops,
    policy: PolicySettings,
) -> Verdict:
    verdict = Verdict()
    consents = ConsentLedger(engine, {m.player_id for m in received})
    with engine.connect() as connection:
        unreachable = {
            (row.channel, row.contact_point): row.since
            for row in connection.execute(select(UnreachablePoint))
        }
    for message_id, times in Counter(m.message_id for m in received).items():
        if times > 1:
            verdict.violations["duplicate"].append(f"message {message_id} received {times} times")
    for m in received:
        person = population.people[m.player_id]
        verdict.checked[f"{m.channel}:{m.message_class}"] += 1
        if _quiet(m, person.region, policy):
            verdict.violations["quiet_hours"].append(f"message {m.message_id} at {m.at} in {person.region}")
        since = unreachable.get((m.channel, m.contact_point))
        if since is not None and since < m.at:
            verdict.violations["unreachable"].append(f"message {m.message_id} to {m.contact_point}")
        if m.message_class == "marketing" and (why := _marketing_stop(m, population, stops, consents)):
            verdict.violations[why].append(f"message {m.message_id} to player {m.player_id} at {m.at}")
    for overshoot in cap_overshoots(received, policy):
        verdict.violations["cap"].append(overshoot)
    return verdict
