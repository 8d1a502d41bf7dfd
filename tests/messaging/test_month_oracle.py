"""The 30-day simulation's oracle can fail: fed messages that break each rule, it names each one; fed the
same players' lawful messages, it finds nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from helpers.month_oracle import Received, Stops, check
from helpers.month_population import START, Population, load
from lottocrm import clock
from lottocrm.contact_policy.document import DEFAULT_POLICY

# Tuesday 28 April 2026, 12:00 in Moscow (a working day): inside the sending hours of every zone but the
# far east's evening.
NOON_MOSCOW = dt.datetime(2026, 4, 28, 9, 0, tzinfo=dt.UTC)


def _first(population: Population, test) -> int:  # type: ignore[no-untyped-def]
    return next(p.player_id for p in population.people.values() if test(p))


def _sms(message_id: int, player_id: int, at: dt.datetime, population: Population) -> Received:
    phone = population.people[player_id].phone or "none"
    return Received(message_id, at, player_id, "sms", "marketing", phone)


def test_the_oracle_names_every_broken_rule(engine: Engine) -> None:
    with clock.frozen(START):
        population = load(engine, 400, seed=5)
    stops = Stops.from_population(population)
    # A lawful player whose consents the ledger shows granted: find one the oracle passes first.
    candidates = [
        p.player_id
        for p in population.people.values()
        if p.region == "RU-MOW"
        and p.status == "active"
        and p.phone
        and p.birth_date
        and p.birth_date.year < 2000
    ]
    clean = [
        player_id
        for player_id in candidates
        if not check(
            engine,
            [_sms(1, player_id, NOON_MOSCOW, population)],
            population=population,
            stops=stops,
            policy=DEFAULT_POLICY,
        ).violations
    ]
    assert clean, "no lawful player in the sample"
    fine = clean[0]
    unknown_age = _first(population, lambda p: p.birth_date is None)
    excluded = _first(
        population,
        lambda p: (
            p.excluded_until is not None and not p.returned and p.birth_date and p.birth_date.year < 2000
        ),
    )
    night = NOON_MOSCOW.replace(hour=23)  # 02:00 in Moscow
    stops.add(fine, "timed_out", NOON_MOSCOW + dt.timedelta(days=2), NOON_MOSCOW + dt.timedelta(days=3))
    broken = [
        _sms(10, fine, night, population),  # quiet hours
        _sms(11, unknown_age, NOON_MOSCOW, population),
        _sms(12, excluded, NOON_MOSCOW, population),
        _sms(13, fine, NOON_MOSCOW + dt.timedelta(days=2, hours=1), population),  # timed out
        _sms(14, fine, NOON_MOSCOW + dt.timedelta(days=4), population),
        _sms(15, fine, NOON_MOSCOW + dt.timedelta(days=4, hours=3), population),  # second SMS in 24 h
        _sms(15, fine, NOON_MOSCOW + dt.timedelta(days=4, hours=3), population),  # received twice
    ]
    verdict = check(engine, broken, population=population, stops=stops, policy=DEFAULT_POLICY)
    named = {kind: len(found) for kind, found in verdict.violations.items()}
    assert set(named) == {"quiet_hours", "age_unknown", "self_excluded", "timed_out", "cap", "duplicate"}, (
        named
    )
    assert any("10 " in found for found in verdict.violations["quiet_hours"])
