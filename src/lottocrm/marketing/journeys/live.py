"""A version goes live: new instances start on it, and the instances already walking either move to it
(those whose current step exists in it) or finish on the version they started on, as the marketer chooses.

Only what the engine runs may go live: the triggers read from the website's and app's events, and the
the system's own facts (wins, birthdays and anniversaries, churn crossings, tier upgrades), and the wait,
branch, split, send, offer, call task and exit steps. Attribute steps, segment entry and jackpot triggers
are refused with that reason until the engine runs them (issue #15).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.errors import Conflict
from lottocrm.marketing.journeys import service
from lottocrm.marketing.journeys.definition import JourneyDefinition
from lottocrm.marketing.journeys.graph import JourneyInputError
from lottocrm.marketing.journeys.models import JourneyInstance, JourneyVersion

# The website's and app's event types, as triggers (lottocrm.player_events.kinds).
EVENT_TRIGGERS = {
    "registration": "registered",
    "sign_in": "signed_in",
    "deposit": "deposit",
    "ticket_purchase": "ticket_purchase",
    "game_view": "game_view",
    "banner_click": "banner_click",
}
# The system's own facts the engine follows (:mod:`system_triggers`).
SYSTEM_TRIGGERS = frozenset(
    {"ticket_won", "big_win", "birthday", "registration_anniversary", "churn_risk_entered", "tier_upgraded"}
)
RUN_STEPS = frozenset({"wait", "branch", "split", "send", "offer", "call_task", "exit"})


class JourneyStateConflict(Conflict):
    code = "journey_state_conflict"


def unsupported(definition: JourneyDefinition) -> list[str]:
    """What in the document the engine does not run yet, each with its place."""
    runnable = set(EVENT_TRIGGERS.values()) | SYSTEM_TRIGGERS
    found = []
    if definition.entry.trigger not in runnable:
        found.append(f"entry.trigger: {definition.entry.trigger} journeys are not run yet")
    for name, step in definition.steps.items():
        if step.kind not in RUN_STEPS:
            found.append(f"steps.{name}: {step.kind} steps are not run yet")
        waited = getattr(step, "for_trigger", None)
        if waited is not None and waited not in runnable:
            found.append(f"steps.{name}: waiting for {waited} is not run yet")
    if definition.goal is not None and definition.goal not in runnable:
        found.append(f"goal: {definition.goal} is not followed yet")
    return found


def go_live(
    session: Session, *, actor: Actor, journey_id: int, version: int, move_instances: bool
) -> JourneyVersion:
    journey = service.get_journey(session, journey_id)
    if journey.status == "archived":
        raise JourneyStateConflict("journey %(id)s is archived", id=journey_id)
    chosen = session.scalar(
        select(JourneyVersion).where(
            JourneyVersion.journey_id == journey_id, JourneyVersion.number == version
        )
    )
    if chosen is None:
        raise service.JourneyNotFound(
            "journey %(id)s has no version %(version)s", id=journey_id, version=version
        )
    if chosen.created_by == actor.name:
        raise JourneyStateConflict(
            "version %(version)s was written by you; another person puts it live (four eyes)", version=version
        )
    # Checked again: a template may have been retired since the version was saved.
    definition = service.check(session, chosen.definition)
    found = unsupported(definition)
    if found:
        raise JourneyInputError("the journey cannot go live: %(problems)s", problems="; ".join(found))
    moved = 0
    if move_instances and journey.live_version_id not in (None, chosen.id):
        # Waiting instances sit on wait steps; one moves when the new version has a wait of that name.
        steps = [name for name, step in definition.steps.items() if step.kind == "wait"]
        moved = session.execute(
            update(JourneyInstance)
            .where(
                JourneyInstance.journey_id == journey_id,
                JourneyInstance.status == "waiting",
                JourneyInstance.arm == "treated",
                JourneyInstance.step.in_(steps),
            )
            .values(version_id=chosen.id)
            .execution_options(synchronize_session=False)
        ).rowcount
    journey.status, journey.live_version_id = "live", chosen.id
    record(
        session,
        actor=actor,
        action="journey.go_live",
        detail={"journey_id": journey_id, "version": version, "moved": moved or 0},
    )
    return chosen
