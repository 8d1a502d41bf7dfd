"""Property: no decision serves an offer the contact policy would refuse, and none withholds one it would
allow. Hypothesis draws a player's state (account, age, consents, self-exclusion and the return after it,
time-out, spending limit); the decision service, with its facts in memory, must agree with
``contact_policy.service.decide`` for a marketing message on the web channel, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from helpers.factories import IMPORT
from lottocrm.contact_policy import service as contact_policy
from lottocrm.db.engine import make_engine, transaction
from lottocrm.marketing.decisions import service
from lottocrm.players import consents
from lottocrm.players.models import Player, ResponsibleGaming
from marketing.decisions.helpers import PLACEMENT, banner_world, web_player

TODAY = dt.date.today()
NOW = dt.datetime.now(dt.UTC)
DAY = st.sampled_from(
    [None, TODAY - dt.timedelta(days=40), TODAY - dt.timedelta(days=1), TODAY, TODAY + dt.timedelta(days=30)]
)
MOMENT = st.sampled_from([None, NOW - dt.timedelta(hours=2), NOW + dt.timedelta(hours=3)])
STATES = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["active", "active", "active", "closed"]),
        "birth": st.sampled_from(["adult", "adult", "unknown", "minor"]),
        "web": st.sampled_from([True, True, False, None]),
        "personal_data": st.sampled_from([True, True, False]),
        "self_excluded_until": DAY,
        "returned": st.booleans(),
        "timeout_until": MOMENT,
        "limit_reached_until": DAY,
        "region": st.sampled_from(["RU-MOW", "RU-SPE", "RU-KHA", None]),
    }
)


@pytest.fixture(scope="module")
def world(module_db_url: str) -> Iterator[Engine]:
    engine = make_engine(module_db_url)
    banner_world(
        engine,
        best={"player_daily_cap": 1000, "budget": 10**9},
        second={"player_daily_cap": 1000, "budget": 10**9},
        players_only={"player_daily_cap": 1000, "budget": 10**9},
    )
    yield engine
    engine.dispose()


def _player(engine: Engine, state: dict, make_player) -> int:  # type: ignore[no-untyped-def, type-arg]
    with transaction(engine) as session:
        player_id = web_player(
            session,
            make_player,
            web=state["web"],
            minor=state["birth"] == "minor",
            birth_date=None if state["birth"] == "unknown" else dt.date(1980, 5, 17),
            region=state["region"],
        )
        player = session.get(Player, player_id)
        assert player is not None
        if not state["personal_data"]:
            consents.record_consent(
                session,
                actor=IMPORT,
                player_id=player_id,
                purpose="personal_data",
                channel="web",
                granted=False,
                source="website",
                notice_version="2025-01",
                occurred_at=NOW - dt.timedelta(minutes=5),
            )
        if any(
            state[key] is not None for key in ("self_excluded_until", "timeout_until", "limit_reached_until")
        ):
            session.add(
                ResponsibleGaming(
                    player_id=player_id,
                    self_excluded_until=state["self_excluded_until"],
                    returned_at=NOW - dt.timedelta(hours=1) if state["returned"] else None,
                    timeout_until=state["timeout_until"],
                    limit_reached_until=state["limit_reached_until"],
                    flags=[],
                    updated_at=NOW,
                )
            )
        player.status = state["status"]
        session.flush()
    return player_id


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=STATES)
def test_an_offer_is_served_exactly_when_the_contact_policy_allows_the_web(
    state, world: Engine, make_player
) -> None:  # type: ignore[no-untyped-def]
    player_id = _player(world, state, make_player)
    with transaction(world) as session:
        gate = contact_policy.decide(session, player_id=player_id, channel="web", message_class="marketing")
    with transaction(world) as session:
        decision = service.decide(
            session,
            placement=PLACEMENT,
            player_id=player_id,
            device_id=None,
            source="apikey:property",
            deadline=service.Deadline(10.0),
        )
    served = decision.banner.offer is not None
    assert served == gate.allowed, (state, gate.reasons, decision.default_because)
    if not served:
        assert decision.default_because == "contact_policy"
