"""Behaviour and response conditions: each bad input is refused with its place and what is wrong (one test
each), and one player's values read from the lake are the plain counts of that player's tickets and wins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Engine, insert

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.catalog.models import Draw, Game
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.segments import service
from lottocrm.marketing.segments.audience import audience_select, frame_at, values_for
from lottocrm.marketing.segments.conditions import SegmentError, parse, to_document
from lottocrm.marketing.segments.evaluate import value_key

from ..history.conftest import add_players

NOW = dt.datetime(2026, 9, 20, 12, 0, tzinfo=dt.UTC)
ZONE = "Europe/Moscow"


def _tickets(**window: Any) -> dict[str, Any]:
    return {"field": "behaviour.tickets", "params": window, "op": "ge", "value": 1}


def _refusal(document: dict[str, Any]) -> SegmentError:
    with pytest.raises(SegmentError) as refused:
        parse(document)
    return refused.value


def test_a_window_of_zero_days_is_refused() -> None:
    error = _refusal(_tickets(days=0))
    assert error.params["where"] == "segment.params.days" and "from 1 to 3650" in error.message


def test_a_window_longer_than_ten_years_is_refused() -> None:
    assert _refusal(_tickets(days=3_651)).params["where"] == "segment.params.days"


def test_a_window_of_dates_longer_than_ten_years_is_refused() -> None:
    error = _refusal(_tickets(**{"from": "2010-01-01", "to": "2026-01-01"}))
    assert error.params["where"] == "segment.params.to" and "at most 3650 days" in error.message


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    error = _refusal(_tickets(**{"from": "2026-09-02", "to": "2026-09-01"}))
    assert error.params["where"] == "segment.params.from" and "after its end 2026-09-01" in error.message


def test_a_window_with_days_and_dates_is_refused() -> None:
    error = _refusal(_tickets(days=7, **{"from": "2026-09-01", "to": "2026-09-02"}))
    assert error.params["where"] == "segment.params" and "either days or from and to" in error.message


def test_a_window_without_days_or_dates_is_refused() -> None:
    assert "either days or from and to" in _refusal(_tickets()).message


def test_a_window_with_one_date_is_refused() -> None:
    error = _refusal(_tickets(**{"from": "2026-09-01"}))
    assert error.params["where"] == "segment.params.to" and "needs both" in error.message


def test_a_window_date_that_is_not_a_date_is_refused() -> None:
    error = _refusal(_tickets(**{"from": "2026-02-30", "to": "2026-03-01"}))
    assert error.params["where"] == "segment.params.from" and "not a date" in error.message


def test_a_game_that_is_not_a_number_is_refused() -> None:
    assert _refusal(_tickets(days=7, game="лото")).params["where"] == "segment.params.game"


def test_a_draw_picked_both_ways_is_refused() -> None:
    document = {
        "field": "behaviour.played_draw",
        "params": {"game": 1, "number": 3, "on": "2026-01-01"},
        "op": "is_true",
    }
    assert "one of them" in _refusal(document).message


def test_a_draw_without_its_game_is_refused() -> None:
    document = {"field": "behaviour.played_draw", "params": {"number": 3}, "op": "is_true"}
    assert _refusal(document).params["where"] == "segment.params.game"


def test_a_window_goes_back_to_the_same_document() -> None:
    document = {"not": _tickets(**{"from": "2026-01-01", "to": "2026-01-31", "game": 2})}
    assert to_document(parse(document)) == document


@pytest.fixture
def store(engine: Engine) -> Engine:
    add_players(engine, (1, 2, 3))
    with transaction(engine) as session:
        session.execute(
            insert(Game),
            [
                {
                    "id": 1,
                    "code": "rusloto",
                    "name": "Русское лото",
                    "kind": "draw",
                    "ticket_price_kopecks": 10_000,
                }
            ],
        )
        session.execute(
            insert(Draw),
            [{"id": 7, "game_id": 1, "number": 1500, "draw_at": dt.datetime(2026, 1, 1, 11, tzinfo=dt.UTC)}],
        )
    return engine


def _saved(engine: Engine, document: dict[str, Any]) -> SegmentError:
    with pytest.raises(SegmentError) as refused, transaction(engine) as session:
        service.create_segment(session, actor=IMPORT, name="Поведение", definition={"all": [document]})
    return refused.value


def test_an_unknown_game_is_refused_with_its_place(store: Engine) -> None:
    error = _saved(store, _tickets(days=30, game=9))
    assert error.params["where"] == "segment.all[0].params.game" and "no game 9" in error.message


def test_an_unknown_draw_number_is_refused(store: Engine) -> None:
    document = {"field": "behaviour.played_draw", "params": {"game": 1, "number": 1501}, "op": "is_true"}
    error = _saved(store, document)
    assert error.params["where"] == "segment.all[0].params.number" and "no draw number 1501" in error.message


def test_a_day_without_a_draw_is_refused(store: Engine) -> None:
    document = {"field": "behaviour.played_draw", "params": {"game": 1, "on": "2026-01-02"}, "op": "is_true"}
    error = _saved(store, document)
    assert error.params["where"] == "segment.all[0].params.on" and "no draw on 2026-01-02" in error.message


def test_an_unknown_campaign_is_refused(store: Engine) -> None:
    document = {"field": "campaigns.responded", "params": {"campaign": 404}, "op": "is_true"}
    error = _saved(store, document)
    assert error.params["where"] == "segment.all[0].params.campaign" and "no campaign 404" in error.message


def test_the_new_year_draw_is_accepted_by_its_day(store: Engine) -> None:
    document = {"field": "behaviour.played_draw", "params": {"game": 1, "on": "2026-01-01"}, "op": "is_true"}
    with transaction(store) as session:
        version = service.create_segment(session, actor=IMPORT, name="Новогодний", definition=document)
        assert version.definition == document


def _ticket(number: int, player: int, game: int, price: int, at: dt.datetime, draw: int | None = None) -> Any:
    return {
        "ticket_id": number,
        "player_id": player,
        "game_id": game,
        "draw_id": draw,
        "channel": "website",
        "pos_id": None,
        "region": "RU-MOW",
        "price_kopecks": price,
        "sold_at": at,
    }


def test_one_players_values_are_the_counts_of_their_tickets(store: Engine, lake: Lake) -> None:
    """Player 1: two tickets on 19 September in Moscow (one at 00:00:30 local, one at 23:59), one on the 20th,
    one of game 2 and one on 13 September (outside the last 7 days); player 2 nothing; player 3 a win."""
    moscow_midnight_19 = dt.datetime(2026, 9, 18, 21, 0, 30, tzinfo=dt.UTC)
    lake.append(
        "tickets",
        pa.Table.from_pylist(
            [
                _ticket(1, 1, 1, 10_000, moscow_midnight_19),
                _ticket(2, 1, 1, 5_000, dt.datetime(2026, 9, 19, 20, 59, tzinfo=dt.UTC)),
                _ticket(3, 1, 1, 10_000, dt.datetime(2026, 9, 20, 8, 0, tzinfo=dt.UTC)),
                _ticket(4, 1, 2, 30_000, dt.datetime(2026, 9, 20, 8, 0, tzinfo=dt.UTC)),
                _ticket(5, 1, 1, 10_000, dt.datetime(2026, 9, 13, 20, 59, tzinfo=dt.UTC)),
                _ticket(6, 3, 1, 10_000, dt.datetime(2025, 12, 1, 8, 0, tzinfo=dt.UTC), draw=7),
            ]
        ),
        batch_id="values",
    )
    week = {"days": 7, "game": 1}
    fields = ("tickets", "spend", "days_played", "last_purchase", "wins")
    document = {"all": [{"field": f"behaviour.{name}", "params": week, "op": "known"} for name in fields]}
    node = parse(document)
    with clock.frozen(NOW, ZONE), transaction(store) as session:
        frame = frame_at(session, lake=lake)
        values = {key[0]: value for key, value in (values_for(session, node, frame, 1) or {}).items()}
        assert values == {
            "behaviour.tickets": 3,
            "behaviour.spend": 25_000,
            "behaviour.days_played": 2,
            "behaviour.last_purchase": dt.datetime(2026, 9, 20, 8, 0, tzinfo=dt.UTC),
            "behaviour.wins": 0,
        }
        nobody = values_for(session, node, frame, 2) or {}
        assert nobody[value_key(parse(_tickets(**week)))] == 0
        # Two-valued: "not at least one ticket" keeps the player with no activity; the last date is unknown.
        inactive = parse({"not": _tickets(**week)})
        assert set(session.scalars(audience_select(inactive, frame))) == {2, 3}
        new_year = parse(
            {"field": "behaviour.played_draw", "params": {"game": 1, "number": 1500}, "op": "is_true"}
        )
        assert set(session.scalars(audience_select(new_year, frame))) == {3}


def test_days_played_follow_the_operators_calendar_across_a_change_of_offset(
    store: Engine, lake: Lake
) -> None:
    """In Berlin the clocks go forward on 29 March 2026: 00:30 local is 23:30 UTC the day before in winter and
    22:30 in summer. Tickets at 00:30 local on 28, 29 and 30 March are three days (the winter offset alone
    would put the last on the 29th: two); the staged count (time-zone conversion, as the offset changes inside
    the window) and the Python count agree."""
    moments = (
        dt.datetime(2026, 3, 27, 23, 30, tzinfo=dt.UTC),  # 28 March, 00:30 CET
        dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC),  # 29 March, 00:30 CET
        dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC),  # 30 March, 00:30 CEST
    )
    lake.append(
        "tickets",
        pa.Table.from_pylist([_ticket(n, 1, 1, 10_000, at) for n, at in enumerate(moments, start=1)]),
        batch_id="berlin",
    )
    window = {"from": "2026-03-28", "to": "2026-03-30"}
    node = parse({"field": "behaviour.days_played", "params": window, "op": "eq", "value": 3})
    with (
        clock.frozen(dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC), "Europe/Berlin"),
        transaction(store) as session,
    ):
        frame = frame_at(session, lake=lake)
        assert set(session.scalars(audience_select(node, frame))) == {1}
        assert (values_for(session, node, frame, 1) or {})[value_key(node)] == 3  # type: ignore[arg-type]
