"""A banner shown by a decision and clicked is the website's own ``banner_click`` event: a journey that
starts on a banner click starts for that player (the journeys read the player events, not a table of ours)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.db.hash_unit import hash_unit, threshold
from lottocrm.marketing.decisions import service
from lottocrm.marketing.decisions.state import DecisionState
from lottocrm.marketing.journeys import live, runner
from lottocrm.marketing.journeys import service as journeys
from lottocrm.marketing.journeys.models import JourneyInstance
from marketing.campaigns.helpers import APPROVER, AUTHOR
from marketing.decisions.helpers import PLACEMENT, banner_world, web_player

CLICKED = {
    "entry": {"trigger": "banner_click"},
    "start": "done",
    "control_share": 0.01,
    "steps": {"done": {"kind": "exit"}},
}


def test_a_click_on_a_decisions_banner_starts_a_journey_on_banner_clicks(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    banner_world(engine)
    with transaction(engine) as session:
        version = journeys.create_journey(session, actor=AUTHOR, name="Кликнули баннер", definition=CLICKED)
        live.go_live(session, actor=APPROVER, journey_id=version.journey_id, version=1, move_instances=False)
        players = [web_player(session, make_player) for _ in range(3)]
    # A player outside the journey's 1 % control.
    player = next(p for p in players if hash_unit(f"journey:{version.journey_id}", p) >= threshold(0.01))
    with transaction(engine) as session:
        decision = service.decide(
            session,
            placement=PLACEMENT,
            player_id=player,
            device_id=None,
            source="apikey:test",
            state=DecisionState(),
            deadline=service.Deadline(5.0),
        )
    with transaction(engine) as session:
        assert service.record_click(session, decision_id=decision.decision_id, source="apikey:test")
    with transaction(engine) as session:
        runner.read_triggers(session, at=clock.now())
    with transaction(engine) as session:
        started = session.scalars(select(JourneyInstance)).all()
    assert [(instance.player_id, instance.journey_id) for instance in started] == [
        (player, version.journey_id)
    ]
