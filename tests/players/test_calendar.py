"""Birthdays and registration anniversaries on a day of the operator's calendar (29 February on the 28th in
other years; anniversaries by the Moscow date), and the daily announcement made once per day."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from helpers.domain_events import emitted
from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.events.catalog import read_payload
from lottocrm.players.calendar import anniversaries_on, announce_day, birthdays_on
from lottocrm.players.events import CalendarDay
from lottocrm.players.models import Player

UTC = dt.UTC


def _player(pid: int, *, born: dt.date | None, registered: dt.datetime) -> Player:
    return Player(
        id=pid,
        last_name="Иванов",
        first_name="Иван",
        search_name="иванов иван",
        birth_date=born,
        registered_at=registered,
        registration_channel="website",
        created_at=registered,
    )


@pytest.fixture
def players(engine: Engine) -> Engine:
    with transaction(engine) as session:
        session.add_all(
            [
                _player(1, born=dt.date(1980, 3, 5), registered=dt.datetime(2020, 6, 1, 9, tzinfo=UTC)),
                _player(2, born=dt.date(1992, 2, 29), registered=dt.datetime(2024, 2, 29, 9, tzinfo=UTC)),
                _player(3, born=dt.date(1990, 2, 28), registered=dt.datetime(2021, 3, 4, 20, 30, tzinfo=UTC)),
                _player(4, born=None, registered=dt.datetime(2021, 3, 4, 12, tzinfo=UTC)),
                # Registered today: no anniversary yet.
                _player(5, born=dt.date(1970, 1, 1), registered=dt.datetime(2027, 3, 5, 9, tzinfo=UTC)),
            ]
        )
    return engine


def _ids(engine: Engine, query) -> set[int]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return set(session.scalars(query))


def test_birthdays_count_29_february_on_the_28th_of_other_years(players: Engine) -> None:
    assert _ids(players, birthdays_on(dt.date(2027, 3, 5))) == {1}
    assert _ids(players, birthdays_on(dt.date(2027, 2, 28))) == {2, 3}
    assert _ids(players, birthdays_on(dt.date(2028, 2, 28))) == {3}
    assert _ids(players, birthdays_on(dt.date(2028, 2, 29))) == {2}


def test_anniversaries_are_by_the_operators_date(players: Engine) -> None:
    moscow = clock.operator_zone()
    # 20:30 UTC on 4 March is 23:30 in Moscow: still the 4th, so its anniversary is the 4th, not the 5th.
    assert _ids(players, anniversaries_on(dt.date(2027, 3, 4), moscow)) == {3, 4}
    assert _ids(players, anniversaries_on(dt.date(2027, 3, 5), moscow)) == set()
    assert _ids(players, anniversaries_on(dt.date(2027, 2, 28), moscow)) == {2}
    assert _ids(players, anniversaries_on(dt.date(2028, 2, 28), moscow)) == set()
    assert _ids(players, anniversaries_on(dt.date(2028, 2, 29), moscow)) == {2}


def test_the_day_is_announced_once(players: Engine, listening) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        with transaction(players) as session:
            announce_day(session, dt.date(2027, 2, 28))
    announced = [read_payload(event) for event in emitted(players)]
    assert announced == [CalendarDay(day=dt.date(2027, 2, 28), birthdays=2, anniversaries=1)]
