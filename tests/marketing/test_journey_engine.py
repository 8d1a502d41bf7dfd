"""The journey engine on both dialects: the welcome chain started by the website's registration events,
its wait for a first purchase ending by timeout (a message through the contact policy) or by the goal, the
control kept out and measured, re-entry refused, self-excluded players kept out and taken out, and a
version going live with the instances moved to it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from helpers.factories import IMPORT, make_players
from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.db.hash_unit import hash_unit, threshold
from lottocrm.events.delivery import worker_registry
from lottocrm.events.outbox import emit
from lottocrm.jobs.worker import Worker
from lottocrm.marketing.journeys import live, results, runner, service
from lottocrm.marketing.journeys.models import JourneyInstance, JourneyVersion, JourneyVisit
from lottocrm.messaging.models import Message
from lottocrm.player_events import service as player_events
from lottocrm.players.events import PlayersRegistered
from lottocrm.players.models import Player
from lottocrm.players.responsible_gaming import change_responsible_gaming
from marketing.campaigns.helpers import APPROVER, AUTHOR, published_template

AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)  # noon in Moscow
HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AS_OF):
        yield


def welcome(template_id: int, control_share: float = 0.01) -> dict[str, Any]:
    return {
        "entry": {"trigger": "registered"},
        "start": "first_purchase",
        "goal": "ticket_purchase",
        "control_share": control_share,
        "steps": {
            "first_purchase": {
                "kind": "wait",
                "for_trigger": "ticket_purchase",
                "timeout_minutes": 60,
                "next": "done",
                "on_timeout": "nudge",
            },
            "nudge": {
                "kind": "send",
                "template_id": template_id,
                "channels": ["push", "sms"],
                "next": "done",
            },
            "done": {"kind": "exit"},
        },
    }


def _live(engine: Engine, document: dict[str, Any]) -> int:
    with transaction(engine) as session:
        version = service.create_journey(session, actor=AUTHOR, name="Приветствие", definition=document)
        live.go_live(session, actor=APPROVER, journey_id=version.journey_id, version=1, move_instances=False)
        return version.journey_id


def _events(engine: Engine, *events: tuple[str, str, int, dict[str, Any]], at: dt.datetime) -> None:
    batch = [
        {
            "id": event_id,
            "type": kind,
            "channel": "website",
            "occurred_at": at.isoformat(),
            "player_id": player,
            "properties": properties,
        }
        for event_id, kind, player, properties in events
    ]
    with transaction(engine) as session:
        outcome = player_events.accept(session, batch, source="test", now=at)
        assert not outcome.refused, outcome.refused
    with transaction(engine) as session:
        runner.read_triggers(session, at=at)


def _instances(engine: Engine) -> dict[int, JourneyInstance]:
    with transaction(engine) as session:
        return {i.player_id: i for i in session.scalars(select(JourneyInstance).order_by(JourneyInstance.id))}


def _treated(journey_id: int, players: list[int], share: float) -> list[int]:
    return [p for p in players if hash_unit(f"journey:{journey_id}", p) >= threshold(share)]


PURCHASE = {"game": "rusloto", "ticket_id": "T-1", "amount_kopecks": 10_000}


def test_the_welcome_chain_nudges_those_who_did_not_buy_and_lets_buyers_go(
    engine: Engine, contactable
) -> None:  # type: ignore[no-untyped-def]
    make_players(engine)  # the catalogue's games, for the purchase event
    template = published_template(engine)
    journey_id = _live(engine, welcome(template))
    nudged, buyer = _treated(journey_id, contactable(6), 0.01)[:2]
    _events(engine, ("r1", "registration", nudged, {}), ("r2", "registration", buyer, {}), at=AS_OF)
    started = _instances(engine)
    assert {started[nudged].status, started[buyer].status} == {"waiting"}
    assert started[nudged].waiting_for == "ticket_purchase" and started[nudged].wake_at == AS_OF + HOUR
    _events(engine, ("t1", "ticket_purchase", buyer, PURCHASE), at=AS_OF + HOUR / 2)
    with transaction(engine) as session:
        assert runner.wake_due(session, at=AS_OF + HOUR / 2) == 0
        assert runner.wake_due(session, at=AS_OF + HOUR) == 1
    after = _instances(engine)
    assert (after[buyer].status, after[buyer].end_reason) == ("goal", "goal")
    assert (after[nudged].status, after[nudged].end_reason) == ("done", "exit")
    with transaction(engine) as session:
        [message] = session.scalars(select(Message)).all()
        assert (message.player_id, message.channel, message.source_kind) == (nudged, "sms", "journey")
        visits = session.execute(
            select(JourneyVisit.step, JourneyVisit.outcome)
            .where(JourneyVisit.instance_id == after[nudged].id)
            .order_by(JourneyVisit.id)
        ).all()
    # Push first: no push subscription, so the contact policy sends it by SMS.
    assert visits == [
        ("entry", "entered"),
        ("first_purchase", "waiting"),
        ("first_purchase", "timeout"),
        ("nudge", "sent:sms"),
        ("done", "exit"),
    ]
    # A second registration of the same player does not start the journey again (re-entry: never).
    _events(engine, ("r3", "registration", nudged, {}), at=AS_OF + 2 * HOUR)
    assert len(_instances(engine)) == 2
    with transaction(engine) as session:
        assert len(session.scalars(select(JourneyInstance)).all()) == 2


def test_the_control_is_kept_out_and_measured(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    template = published_template(engine)
    journey_id = _live(engine, welcome(template, control_share=0.5))
    players = contactable(20)
    _events(engine, *[(f"r{p}", "registration", p, {}) for p in players], at=AS_OF)
    instances = _instances(engine)
    assert set(instances) == set(players), instances
    control = {p for p in players if p not in _treated(journey_id, players, 0.5)}
    assert control and {p for p, i in instances.items() if i.arm == "control"} == control
    assert all(
        instances[p].step is None and instances[p].wake_at == AS_OF + dt.timedelta(days=30) for p in control
    )
    with transaction(engine) as session:
        runner.wake_due(session, at=AS_OF + 2 * HOUR)
        assert {m.player_id for m in session.scalars(select(Message))} == set(players) - control
        runner.wake_due(session, at=AS_OF + dt.timedelta(days=30))
    assert {i.status for p, i in _instances(engine).items() if p in control} == {"done"}


def test_self_excluded_players_are_kept_out_and_taken_out(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    template = published_template(engine)
    journey_id = _live(engine, welcome(template))
    excluded, later = _treated(journey_id, contactable(6), 0.01)[:2]
    with transaction(engine) as session:
        change_responsible_gaming(
            session,
            actor=IMPORT,
            player_id=excluded,
            self_excluded_until=dt.date(2027, 1, 1),
            monthly_spend_limit_kopecks=None,
        )
    _events(engine, ("r1", "registration", excluded, {}), ("r2", "registration", later, {}), at=AS_OF)
    assert set(_instances(engine)) == {later}
    with transaction(engine) as session:
        change_responsible_gaming(
            session,
            actor=IMPORT,
            player_id=later,
            self_excluded_until=dt.date(2027, 1, 1),
            monthly_spend_limit_kopecks=None,
        )
    Worker(engine, worker_registry(), poll_interval=0.02, lease=dt.timedelta(seconds=5)).run(once=True)
    stopped = _instances(engine)[later]
    assert (stopped.status, stopped.end_reason) == ("ended", "responsible_gaming")
    with transaction(engine) as session:
        assert runner.wake_due(session, at=AS_OF + HOUR) == 0 and session.scalars(select(Message)).all() == []


def test_a_new_version_goes_live_with_the_instances_moved(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    template = published_template(engine)
    journey_id = _live(engine, welcome(template))
    [player] = _treated(journey_id, contactable(4), 0.01)[:1]
    _events(engine, ("r1", "registration", player, {}), at=AS_OF)
    longer = welcome(template)
    longer["steps"]["first_purchase"]["timeout_minutes"] = 120
    with transaction(engine) as session:
        service.save_version(session, actor=AUTHOR, journey_id=journey_id, definition=longer)
        live.go_live(session, actor=APPROVER, journey_id=journey_id, version=2, move_instances=True)
    moved = _instances(engine)[player]
    with transaction(engine) as session:
        assert session.get(JourneyVersion, moved.version_id).number == 2


def test_the_author_cannot_put_their_own_version_live(engine: Engine) -> None:
    template = published_template(engine)
    with transaction(engine) as session:
        version = service.create_journey(session, actor=AUTHOR, name="Своё", definition=welcome(template))
    with transaction(engine) as session, pytest.raises(live.JourneyStateConflict) as refused:
        live.go_live(session, actor=AUTHOR, journey_id=version.journey_id, version=1, move_instances=False)
    assert "another person puts it live" in str(refused.value)


def test_a_stored_batch_wakes_the_trigger_reader(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    template = published_template(engine)
    journey_id = _live(engine, welcome(template))
    [player] = _treated(journey_id, contactable(4), 0.01)[:1]
    event = {
        "id": "r-1",
        "type": "registration",
        "channel": "app",
        "occurred_at": AS_OF.isoformat(),
        "player_id": player,
    }
    with transaction(engine) as session:
        player_events.accept(session, [event], source="test", now=AS_OF)
    # No reader is called here: the worker runs it on the batch's announcement.
    Worker(engine, worker_registry(), poll_interval=0.02, lease=dt.timedelta(seconds=5)).run(once=True)
    assert _instances(engine)[player].status == "waiting"


def test_imported_players_who_registered_lately_start_the_welcome_chain(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    template = published_template(engine)
    journey_id = _live(engine, welcome(template))
    players = _treated(journey_id, contactable(6), 0.01)[:3]
    old, *recent = players
    with transaction(engine) as session:
        for player_id in players:
            player = session.get(Player, player_id)
            player.registered_at = AS_OF - (dt.timedelta(days=400) if player_id == old else HOUR)
        # One of them also registered on the website first: the instance is kept per player, so once.
        player_events.accept(
            session,
            [
                {
                    "id": "w-1",
                    "type": "registration",
                    "channel": "website",
                    "occurred_at": AS_OF.isoformat(),
                    "player_id": recent[0],
                }
            ],
            source="test",
            now=AS_OF,
        )
        emit(
            session,
            PlayersRegistered(
                batch_id="b", count=3, first_player_id=min(players), last_player_id=max(players)
            ),
        )
    Worker(engine, worker_registry(), poll_interval=0.02, lease=dt.timedelta(seconds=5)).run(once=True)
    started = _instances(engine)
    assert set(started) == set(recent)
    with transaction(engine) as session:
        assert len(session.scalars(select(JourneyInstance)).all()) == 2


def test_results_count_each_step_and_compare_the_goal_rate_with_the_control(
    engine: Engine, contactable
) -> None:  # type: ignore[no-untyped-def]
    make_players(engine)
    template = published_template(engine)
    journey_id = _live(engine, welcome(template, control_share=0.5))
    players = contactable(40)
    _events(engine, *[(f"r{p}", "registration", p, {}) for p in players], at=AS_OF)
    treated = set(_treated(journey_id, players, 0.5))
    # Every treated player buys after the nudge (an hour later); one control player in four buys by himself.
    with transaction(engine) as session:
        runner.wake_due(session, at=AS_OF + HOUR)
    buyers = sorted(treated) + sorted(set(players) - treated)[::4]
    _events(
        engine,
        *[(f"t{p}", "ticket_purchase", p, PURCHASE | {"ticket_id": f"T{p}"}) for p in buyers],
        at=AS_OF + 2 * HOUR,
    )
    with transaction(engine) as session:
        found = results.results(session, journey_id=journey_id, at=AS_OF + 3 * HOUR)
    counts = {(s.step, s.outcome): s.instances for s in found.steps}
    assert counts[("nudge", "sent:sms")] == len(treated) and counts[("entry", "control")] == 40 - len(treated)
    assert found.arms["treated"].response_rate == 1.0 and found.preliminary
    control = 40 - len(treated)
    assert found.arms["control"].responders == len(sorted(set(players) - treated)[::4]) < control
    assert found.lift is not None and found.lift.absolute_interval.low > 0
