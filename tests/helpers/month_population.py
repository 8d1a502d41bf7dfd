"""The population of the 30-day simulation (``tests/messaging/test_month_simulation.py``).

Players across the eleven zones (UTC+2 … UTC+12) in the mixes an operator's import brings: advertising
consents per channel granted, withdrawn or missing; the personal-data consent; birth dates with players
turning 18 during the month and unknown ages; self-exclusions running out mid-month, ended without a
recorded return or with one; time-outs, spending limits reached, blocked accounts; players without a phone,
an e-mail or a device; addresses the gateways will refuse. Written with Core inserts on one connection and
made visible to the gate by ``contact_policy.service.refresh_players`` in the same transaction, as a bulk
importer does.

Every fact is also kept in :class:`Person`: the test's oracle reads what the world was, not what the gate
made of it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert

from lottocrm import clock
from lottocrm.contact_policy import service as gate
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity, ResponsibleGaming

# A Monday. The month crosses the May holidays of 2026 (1 May a Friday, 9 May a Saturday, 11 May a day
# off in lieu), so the working-day and day-off hours both apply.
START = dt.datetime(2026, 4, 27, 0, 0, tzinfo=dt.UTC)
DAYS = 30
END = START + dt.timedelta(days=DAYS)
REGIONS = (
    "RU-KGD",
    "RU-MOW",
    "RU-SAM",
    "RU-SVE",
    "RU-OMS",
    "RU-NVS",
    "RU-IRK",
    "RU-SA",
    "RU-PRI",
    "RU-MAG",
    "RU-KAM",
)
AD_CHANNELS = ("sms", "email", "push")
_ROWS_PER_INSERT = 10_000


@dataclass
class Person:
    player_id: int
    region: str
    status: str
    birth_date: dt.date | None
    phone: str | None
    email: str | None
    device: str | None
    excluded_until: dt.date | None = None
    returned: bool = False
    timeout_until: dt.datetime | None = None
    limit_until: dt.date | None = None

    def point(self, channel: str) -> str | None:
        return {"sms": self.phone, "email": self.email, "push": self.device}[channel]


@dataclass
class Population:
    people: dict[int, Person] = field(default_factory=dict)
    # Numbers the SMSC rejects (ESME_RINVDSTADR) and app tokens FCM says are gone (404).
    bad_phones: set[str] = field(default_factory=set)
    gone_devices: set[str] = field(default_factory=set)

    def minors_at_start(self) -> set[int]:
        day = clock.operator_day(START)
        return {
            p.player_id
            for p in self.people.values()
            if p.birth_date is not None and adult_on(p.birth_date) > day
        }


def adult_on(birth: dt.date) -> dt.date:
    """The 18th birthday (29 February: 1 March), written here from the rule, not imported from the gate."""
    if birth.month == 2 and birth.day == 29:
        return dt.date(birth.year + 18, 3, 1)
    return birth.replace(year=birth.year + 18)


def _birth(rng: random.Random) -> dt.date | None:
    day = START.date()
    roll = rng.random()
    if roll < 0.03:
        return None  # age unknown
    if roll < 0.04:  # turns 18 during the month
        eighteenth = day + dt.timedelta(days=rng.randint(1, DAYS - 3))
        return eighteenth.replace(year=eighteenth.year - 18)
    if roll < 0.05:  # a minor all month
        return dt.date(day.year - 16, rng.randint(1, 12), rng.randint(1, 28))
    return day - dt.timedelta(days=rng.randint(18 * 366 + 30, 70 * 365))


def _person(player_id: int, rng: random.Random, population: Population) -> Person:
    today = START.date()
    person = Person(
        player_id=player_id,
        region=REGIONS[player_id % len(REGIONS)],
        status="blocked" if rng.random() < 0.01 else "active",
        birth_date=_birth(rng),
        phone=f"+79{player_id:09d}" if rng.random() < 0.92 else None,
        # "hard-bounce@" is the local SMTP sink's cue to answer 550 (user unknown).
        email=(f"hard-bounce@p{player_id}.example" if rng.random() < 0.01 else f"p{player_id}@mail.example")
        if rng.random() < 0.85
        else None,
        device=f"fcm-token-{player_id}" if rng.random() < 0.6 else None,
    )
    if person.phone and rng.random() < 0.005:
        population.bad_phones.add(person.phone)
    if person.device and rng.random() < 0.01:
        population.gone_devices.add(person.device)
    roll = rng.random()
    if roll < 0.01:  # excluded at the start, running out mid-month; a return may or may not follow
        person.excluded_until = today + dt.timedelta(days=rng.randint(2, 20))
    elif roll < 0.02:  # ran out before the start, no return recorded
        person.excluded_until = today - dt.timedelta(days=rng.randint(1, 60))
    elif roll < 0.025:  # ran out and the player came back
        person.excluded_until, person.returned = today - dt.timedelta(days=rng.randint(10, 90)), True
    elif roll < 0.03:
        person.timeout_until = START + dt.timedelta(hours=rng.randint(6, 24 * 6))
    elif roll < 0.04:  # this month's limit reached: stops marketing to the end of April
        person.limit_until = dt.date(2026, 4, 30)
    return person


def _consents(person: Person, rng: random.Random) -> Iterator[dict[str, Any]]:
    def event(purpose: str, channel: str, granted: bool, days_ago: int) -> dict[str, Any]:
        moment = START - dt.timedelta(days=days_ago, minutes=rng.randint(0, 1439))
        return {
            "player_id": person.player_id,
            "purpose": purpose,
            "channel": channel,
            "granted": granted,
            "occurred_at": moment,
            "source": "import",
            "notice_version": "v1",
            "recorded_at": moment,
        }

    roll = rng.random()
    if roll < 0.97:
        yield event("personal_data", "web", True, rng.randint(200, 900))
        if roll > 0.95:
            yield event("personal_data", "web", False, rng.randint(1, 150))
    for channel in AD_CHANNELS:
        roll = rng.random()
        if roll < 0.7:
            # Minors' grants come from a legacy import: the gate, not the data, must stop them.
            yield event("advertising", channel, True, rng.randint(200, 900))
            if roll > 0.62:
                yield event("advertising", channel, False, rng.randint(1, 150))


def _rows(person: Person) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
    registered = START - dt.timedelta(days=1000)
    player = {
        "id": person.player_id,
        "last_name": "Игроков",
        "first_name": "Игрок",
        "search_name": "игроков игрок",
        "birth_date": person.birth_date,
        "region": person.region,
        "registered_at": registered,
        "registration_channel": "website",
        "age_verified": person.birth_date is not None,
        "under_age": False,
        "status": person.status,
        "created_at": registered,
    }
    identities = [
        {
            "player_id": person.player_id,
            "kind": kind,
            "value": value,
            "verified": True,
            "created_at": registered,
        }
        for kind, value in (("phone", person.phone), ("email", person.email), ("device", person.device))
        if value is not None
    ]
    if not (person.excluded_until or person.timeout_until or person.limit_until):
        return player, identities, None
    rg = {
        "player_id": person.player_id,
        "self_excluded_until": person.excluded_until,
        "returned_at": START - dt.timedelta(days=2) if person.returned else None,
        "timeout_until": person.timeout_until,
        "limit_reached_until": person.limit_until,
        "monthly_spend_limit_kopecks": 500_000 if person.limit_until else None,
        "flags": [],
        "updated_at": START - dt.timedelta(days=2),
    }
    return player, identities, rg


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        yield rows[start : start + _ROWS_PER_INSERT]


def load(engine: Engine, players: int, *, seed: int = 2026) -> Population:
    """Write ``players`` players and their facts in one transaction, with their contactability rows.
    Call inside a clock frozen at :data:`START` (the rows are computed for that moment)."""
    rng = random.Random(seed)
    population = Population()
    tables: dict[Any, list[dict[str, Any]]] = {
        Player: [],
        PlayerIdentity: [],
        ConsentEvent: [],
        ResponsibleGaming: [],
    }
    for player_id in range(1, players + 1):
        person = _person(player_id, rng, population)
        population.people[player_id] = person
        player, identities, rg = _rows(person)
        tables[Player].append(player)
        tables[PlayerIdentity] += identities
        tables[ConsentEvent] += sorted(_consents(person, rng), key=lambda row: row["occurred_at"])
        if rg is not None:
            tables[ResponsibleGaming].append(rg)
    with engine.begin() as connection:
        for table, rows in tables.items():
            for chunk in _chunks(rows):
                connection.execute(insert(table), chunk)
        gate.refresh_players(connection, population.people)
    return population
