"""Each member's response, spend and pre-period spend from the lake, in one DuckDB query, equal the obvious
loop over every ticket — window edges included (the first instant counts, the end does not)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sqlalchemy import Engine

from lottocrm.analytics.campaign_response import campaign_responses
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.lake.store import Lake

from .conftest import World, build_world, oracle


def _members(world: World) -> pa.Table:
    return pa.table(
        {
            "member": list(range(len(world.members))),
            "player_id": [m[1] for m in world.members],
            "assigned_at": pa.array([m[4] for m in world.members], pa.timestamp("us", tz="UTC")),
        }
    )


def _rows(found: pa.Table) -> list[tuple[bool, int, int]]:
    return list(zip(*(found[c].to_pylist() for c in ("responded", "spend", "pre_spend")), strict=True))


@pytest.mark.parametrize("game", [1, None])
def test_the_lake_query_equals_the_loop_over_tickets(engine: Engine, lake: Lake, game: int | None) -> None:
    world = build_world(engine, lake, runs=2)
    found = campaign_responses(lake=lake, members=_members(world), window_days=14, game_id=game)
    assert found["member"].to_pylist() == list(range(len(world.members)))
    expected = oracle(world, game=game)
    assert _rows(found) == expected
    # The world is not trivial: some respond, some do not, and spend falls on both sides of assignment.
    assert 0 < sum(r for r, _, _ in expected) < len(expected)
    assert all(sum(column) > 0 for column in list(zip(*expected, strict=True))[1:])


def test_a_loyalty_enrolment_is_a_response_inside_the_window(engine: Engine, lake: Lake) -> None:
    world = build_world(engine, lake, players=8)
    members = _members(world)
    assigned = [m[4] for m in world.members]
    enrolled = [
        assigned[0],  # the first instant: responded
        assigned[1] + dt.timedelta(days=14),  # the window's end: not
        assigned[2] - dt.timedelta(seconds=1),  # already a member before: not
        assigned[3] + dt.timedelta(days=3),
        None,
        None,
        None,
        None,
    ]
    members = members.append_column("enrolled_at", pa.array(enrolled, pa.timestamp("us", tz="UTC")))
    found = campaign_responses(lake=lake, members=members, window_days=14, response_kind="loyalty_enrolment")
    assert found["responded"].to_pylist() == [True, False, False, True, False, False, False, False]
    assert found["spend"].to_pylist() == [spend for _, spend, _ in oracle(world)]


def test_no_members_is_an_empty_answer(lake: Lake) -> None:
    empty = pa.table(
        {
            "member": pa.array([], pa.int64()),
            "player_id": pa.array([], pa.int64()),
            "assigned_at": pa.array([], pa.timestamp("us", tz="UTC")),
        }
    )
    assert campaign_responses(lake=lake, members=empty, window_days=7).num_rows == 0


@pytest.mark.parametrize(
    ("changes", "fault"),
    [
        ({"window_days": 0}, "whole number of days ≥ 1, got 0"),
        ({"response_kind": "click"}, "unknown response kind 'click'"),
        ({"response_kind": "loyalty_enrolment"}, "needs each member's enrolled_at"),
        ({"members": pa.table({"member": [0], "player_id": [1]})}, "lack the column(s) assigned_at"),
        ({"members": pa.table({"member": [0], "player_id": ["x"], "assigned_at": [1]})}, "do not fit"),
    ],
)
def test_bad_input_is_refused_clearly(lake: Lake, changes: dict, fault: str) -> None:  # type: ignore[type-arg]
    arguments = {
        "members": pa.table(
            {
                "member": [0],
                "player_id": [1],
                "assigned_at": pa.array([dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]),
            }
        ),
        "window_days": 14,
        **changes,
    }
    with pytest.raises(AnalyticsInputError, match=fault.replace("(", r"\(").replace(")", r"\)")):
        campaign_responses(lake=lake, **arguments)
