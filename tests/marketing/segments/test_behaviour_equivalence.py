"""Behaviour from the lake and campaign responses: the staged SQL audience equals the Python evaluation that
reads each player's facts from the lake directly, on both dialects.

The lake holds tickets either side of the operator's midnight at every window edge, tickets of three games,
tickets for three draws of game 1 (one of them the New Year draw, sold weeks before it), and wins at the same
edges; a sent campaign (``reporting/conftest.build_world``) gives responders by its own definition. Hypothesis
writes the segments: every behaviour field, every operator, windows of days or dates, with and without a game.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select

from lottocrm import clock
from lottocrm.catalog.models import Draw, Game
from lottocrm.db.engine import make_engine, session_factory
from lottocrm.lake.store import Lake
from lottocrm.marketing.reporting.service import responders
from lottocrm.marketing.segments.audience import audience_select, frame_at, values_for
from lottocrm.marketing.segments.conditions import NO_VALUE, OPERATORS, parse
from lottocrm.marketing.segments.evaluate import holds
from lottocrm.marketing.segments.fields import FIELDS
from lottocrm.marketing.segments.models import SegmentBehaviour

from ..reporting.conftest import build_world, oracle

# Long (a property run over many generated cases): scheduled first, so it does not finish the suite alone.
pytestmark = pytest.mark.slow

PLAYERS = 40
ZONE = "Europe/Moscow"
# Now: 20 September 2026, 15:00 in Moscow; the campaign of build_world was sent on 1 September.
NOW = dt.datetime(2026, 9, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 9, 20)
BACK = (0, 1, 2, 6, 7, 29, 30, 31, 400)
DAYS = [TODAY - dt.timedelta(days=n) for n in BACK]
NEW_YEAR = dt.datetime(2026, 1, 1, 11, 0, tzinfo=dt.UTC)  # 14:00 in Moscow
DRAWS = ((1, 1, NEW_YEAR), (2, 2, dt.datetime(2026, 9, 6, 8, 0, tzinfo=dt.UTC)), (3, 3, NOW))
BEHAVIOUR = sorted(name for name, spec in FIELDS.items() if spec.source in ("behaviour", "responses"))


@dataclass
class Population:
    engine: Engine
    lake: Lake
    campaign_id: int
    responded: set[int]


def _edge(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment on the day's first or last minute in Moscow, or at noon."""
    start, end = clock.day_bounds(day, zone=ZONE)
    return rng.choice(
        (
            start,
            start + dt.timedelta(minutes=1),
            end - dt.timedelta(minutes=1),
            start + dt.timedelta(hours=12),
        )
    )


def _facts(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tickets, wins = [], []
    for pid in range(1, PLAYERS + 1):
        for _ in range(rng.randint(0, 7)):
            game = rng.choice((1, 2, 3))
            draw = rng.choice((None, 1, 2, 3)) if game == 1 else None
            sold = (
                NEW_YEAR - dt.timedelta(days=rng.choice((1, 30)))
                if draw == 1
                else _edge(rng.choice(DAYS), rng)
            )
            tickets.append(
                {
                    "ticket_id": 10_000 + len(tickets),
                    "player_id": pid,
                    "game_id": game,
                    "draw_id": draw,
                    "channel": "website",
                    "pos_id": None,
                    "region": "RU-MOW",
                    "price_kopecks": rng.choice((5_000, 10_000, 30_000)),
                    "sold_at": sold,
                }
            )
        for _ in range(rng.randint(0, 3)):
            wins.append(
                {
                    "win_id": len(wins) + 1,
                    "ticket_id": 1,
                    "player_id": pid,
                    "game_id": rng.choice((1, 2, 3)),
                    "draw_id": None,
                    "prize_tier": 1,
                    "amount_kopecks": rng.choice((10_000, 100_000)),
                    "won_at": _edge(rng.choice(DAYS), rng),
                    "claimed": False,
                    "claimed_at": None,
                }
            )
    # An anonymous ticket counts for nobody.
    tickets.append({**tickets[0], "ticket_id": 1, "player_id": None})
    return tickets, wins


@pytest.fixture(scope="module")
def population(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Population]:
    engine = make_engine(module_db_url)
    lake = Lake(tmp_path_factory.mktemp("behaviour-lake"))
    world = build_world(engine, lake, players=PLAYERS, seed=11)
    tickets, wins = _facts(random.Random(20260920))
    lake.append("tickets", pa.Table.from_pylist(tickets), batch_id="behaviour-tickets")
    lake.append("wins", pa.Table.from_pylist(wins), batch_id="behaviour-wins")
    with engine.begin() as connection:
        connection.execute(
            insert(Game),
            [
                {
                    "id": g,
                    "code": f"g{g}",
                    "name": f"Игра {g}",
                    "kind": "draw",
                    "ticket_price_kopecks": 10_000,
                }
                for g in (1, 2, 3)
            ],
        )
        connection.execute(
            insert(Draw),
            [{"id": i, "game_id": 1, "number": n, "draw_at": at, "status": "drawn"} for i, n, at in DRAWS],
        )
    world.tickets.extend(tickets)  # the responses count every ticket in the lake
    truth = oracle(world)
    responded = {
        member[1] for member, found in zip(world.members, truth, strict=True) if member[2] and found[0]
    }
    yield Population(engine, lake, world.campaign_id, responded)
    engine.dispose()


def _params(spec_name: str, draw: st.DrawFn) -> dict[str, Any]:
    spec = FIELDS[spec_name]
    if spec.source == "responses":
        return {"campaign": draw(st.sampled_from((1, 2)))}  # 2 was never sent
    if spec.param_rule == "draw":
        pick = draw(st.sampled_from(("number", "on")))
        if pick == "number":
            return {"game": draw(st.sampled_from((1, 2))), "number": draw(st.sampled_from((1, 2, 3, 4)))}
        return {"game": 1, "on": draw(st.sampled_from(("2026-01-01", "2026-09-06", "2026-09-07")))}
    params: dict[str, Any] = {}
    if draw(st.booleans()):
        params["days"] = draw(st.sampled_from((1, 2, 7, 30, 31, 3_650)))
    else:
        low, high = sorted(draw(st.lists(st.sampled_from(DAYS), min_size=2, max_size=2)))
        params.update({"from": low.isoformat(), "to": high.isoformat()})
    if draw(st.booleans()):
        params["game"] = draw(st.sampled_from((1, 2, 3)))
    return params


def _value(spec_name: str, op: str, draw: st.DrawFn) -> Any:
    spec = FIELDS[spec_name]
    if op in ("within_last_days", "more_than_days_ago"):
        return draw(st.sampled_from((1, 2, 7, 30, 31)))
    if spec.kind == "date":
        scalar = st.sampled_from(DAYS).map(dt.date.isoformat)
    else:
        scalar = st.sampled_from((0, 1, 2, 3, 5_000, 10_000, 30_000, 100_000))
    if op == "between":
        return sorted(draw(st.lists(scalar, min_size=2, max_size=2)))
    return draw(scalar)


@st.composite
def _leaf(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(BEHAVIOUR))
    op = draw(st.sampled_from(OPERATORS[FIELDS[name].kind]))
    document: dict[str, Any] = {"field": name, "op": op, "params": _params(name, draw)}
    if op not in NO_VALUE:
        document["value"] = _value(name, op, draw)
    return document


_trees = st.recursive(
    _leaf(),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda parts: {"all": parts}),
        st.lists(children, min_size=1, max_size=3).map(lambda parts: {"any": parts}),
        children.map(lambda part: {"not": part}),
    ),
    max_leaves=4,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_trees)
def test_staged_audience_equals_python_evaluation_from_the_lake(
    population: Population, document: Any
) -> None:
    node = parse(document)
    with clock.frozen(NOW, ZONE), session_factory(population.engine)() as session:
        frame = frame_at(session, lake=population.lake)
        in_sql = set(session.scalars(audience_select(node, frame)))
        in_python = set()
        for pid in range(1, PLAYERS + 1):
            values = values_for(session, node, frame, pid)
            assert values is not None
            if holds(node, values, TODAY):
                in_python.add(pid)
        session.rollback()
    assert in_sql == in_python, document


def _audience(population: Population, document: dict[str, Any]) -> set[int]:
    with clock.frozen(NOW, ZONE), session_factory(population.engine)() as session:
        return set(session.scalars(audience_select(parse(document), frame_at(session, lake=population.lake))))


def test_responders_are_the_treated_who_responded_by_the_campaigns_definition(population: Population) -> None:
    assert population.responded  # not vacuous
    found = _audience(
        population, {"field": "campaigns.responded", "params": {"campaign": 1}, "op": "is_true"}
    )
    assert found == population.responded
    with session_factory(population.engine)() as session:
        assert responders(session, campaign_id=1, lake=population.lake) == population.responded
        assert responders(session, campaign_id=2, lake=population.lake) == set()


def test_the_new_year_draw_is_found_by_its_day_and_by_its_number(population: Population) -> None:
    by_day = _audience(
        population,
        {"field": "behaviour.played_draw", "params": {"game": 1, "on": "2026-01-01"}, "op": "is_true"},
    )
    by_number = _audience(
        population, {"field": "behaviour.played_draw", "params": {"game": 1, "number": 1}, "op": "is_true"}
    )
    assert by_day and by_day == by_number
    # Sold weeks before the draw, so no window of the last days sees those tickets as the draw's.
    nobody = _audience(
        population, {"field": "behaviour.played_draw", "params": {"game": 2, "number": 1}, "op": "is_true"}
    )
    assert nobody == set()


def test_every_behaviour_field_has_players_on_both_sides(population: Population) -> None:
    window = {"days": 7, "game": 3}
    for name in ("behaviour.tickets", "behaviour.spend", "behaviour.days_played", "behaviour.wins"):
        some = _audience(population, {"field": name, "params": window, "op": "gt", "value": 0})
        assert 0 < len(some) < PLAYERS, name
    last = _audience(population, {"field": "behaviour.last_purchase", "params": window, "op": "known"})
    assert 0 < len(last) < PLAYERS


def test_the_staged_rows_are_the_players_with_activity_and_old_batches_go(population: Population) -> None:
    window = {"days": 7, "game": 2}
    document = {
        "any": [
            {"field": "behaviour.tickets", "params": window, "op": "ge", "value": 1},
            {"field": "behaviour.wins", "params": window, "op": "ge", "value": 1},
        ]
    }
    with clock.frozen(NOW, ZONE), session_factory(population.engine)() as session:
        frame = frame_at(session, lake=population.lake)
        members = set(session.scalars(audience_select(parse(document), frame)))
        staged = set(
            session.scalars(select(SegmentBehaviour.player_id).where(SegmentBehaviour.batch == frame.batch))
        )
        # One spec for both conditions; a player with neither a ticket nor a win of game 2 has no row.
        assert staged == members and 0 < len(members) < PLAYERS
        session.commit()
    with clock.frozen(NOW + dt.timedelta(days=2), ZONE), session_factory(population.engine)() as session:
        later = frame_at(session, lake=population.lake)
        session.scalars(audience_select(parse(document), later)).all()
        batches = set(session.scalars(select(SegmentBehaviour.batch).distinct()))
        assert batches == {later.batch}
        assert session.scalar(select(func.count()).select_from(SegmentBehaviour)) == len(
            set(session.scalars(select(SegmentBehaviour.player_id)))
        )
        session.rollback()
