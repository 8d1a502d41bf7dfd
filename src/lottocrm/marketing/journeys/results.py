"""A journey's results: how many instances went through each step and how (the counts per step), and the
goal rate of the treated against the control, with its interval — measured alike in both arms from the
player's own events within ``goal_window_days`` of entering, whether or not the instance had ended.

The goal is read from the website's and app's events (a ``ticket_purchase`` goal counts digital purchases,
not retail tickets in the lake). Instances whose window has not ended yet are counted and the result is
marked preliminary. The instances are read into memory: fine for tens of thousands, not yet for millions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm.marketing.journeys import service
from lottocrm.marketing.journeys.live import EVENT_TRIGGERS
from lottocrm.marketing.journeys.models import JourneyInstance, JourneyVersion, JourneyVisit
from lottocrm.marketing.journeys.walk import definition_of
from lottocrm.marketing.results.arms import ArmSummary, Moments, summarise_counts
from lottocrm.marketing.results.lift import Lift, compare
from lottocrm.player_events.models import PlayerEvent

EVENT_TYPE_OF_TRIGGER = {trigger: kind for kind, trigger in EVENT_TRIGGERS.items()}


@dataclass(frozen=True)
class StepCount:
    step: str
    outcome: str
    instances: int


@dataclass(frozen=True)
class JourneyResults:
    journey_id: int
    steps: list[StepCount]
    goal: str | None
    arms: dict[str, ArmSummary]
    lift: Lift | None
    # Why there is no lift (no goal, a goal not followed yet, an arm under two players), when there is none.
    no_lift_because: str | None
    preliminary: bool
    # False for a goal the engine does not follow yet (ticket won, tier…): nothing to measure it by.
    goal_followed: bool = True


def results(session: Session, *, journey_id: int, at: dt.datetime) -> JourneyResults:
    journey = service.get_journey(session, journey_id)
    steps = [
        StepCount(step, outcome, count)
        for step, outcome, count in session.execute(
            select(JourneyVisit.step, JourneyVisit.outcome, func.count())
            .join(JourneyInstance, JourneyInstance.id == JourneyVisit.instance_id)
            .where(JourneyInstance.journey_id == journey_id)
            .group_by(JourneyVisit.step, JourneyVisit.outcome)
            .order_by(JourneyVisit.step, JourneyVisit.outcome)
        ).all()
    ]
    version_id = journey.live_version_id or service.latest_version(session, journey_id).id
    definition = definition_of(session, session.get(JourneyVersion, version_id))  # type: ignore[arg-type]
    goal, window = definition.goal, dt.timedelta(days=definition.goal_window_days)
    if goal is None:
        return JourneyResults(journey_id, steps, None, {}, None, "the journey has no goal", False)
    if goal not in EVENT_TYPE_OF_TRIGGER:
        because = f"the goal {goal} is not followed yet"
        return JourneyResults(journey_id, steps, goal, {}, None, because, False, goal_followed=False)
    instances = session.execute(
        select(JourneyInstance.player_id, JourneyInstance.arm, JourneyInstance.started_at).where(
            JourneyInstance.journey_id == journey_id
        )
    ).all()
    reached = _reached(session, instances, EVENT_TYPE_OF_TRIGGER[goal], window)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for (_, arm, _), hit in zip(instances, reached, strict=True):
        counts[arm]["n"] += 1
        counts[arm]["goals"] += hit
    arms = {
        arm: summarise_counts(arm=arm, n=c["n"], responders=c["goals"])
        for arm, c in counts.items()
        if c["n"] >= 2
    }
    preliminary = any(started_at + window > at for _, _, started_at in instances)
    if set(arms) != {"treated", "control"}:
        small = [arm for arm in ("treated", "control") if arm not in arms]
        because = (
            f"the {small[0]} arm has fewer than 2 players"
            if len(small) == 1
            else "the treated and control arms have fewer than 2 players each"
        )
        return JourneyResults(journey_id, steps, goal, arms, None, because, preliminary)
    lift = compare(metric="goal", treatment=_moments(arms["treated"]), control=_moments(arms["control"]))
    return JourneyResults(journey_id, steps, goal, arms, lift, None, preliminary)


def _moments(arm: ArmSummary) -> Moments:
    return Moments(n=arm.n, mean=arm.response_rate, variance=arm.response_variance)


def _reached(session: Session, instances: list, event_type: str, window: dt.timedelta) -> list[bool]:  # type: ignore[type-arg]
    """For each instance: did its player do the goal within the window after entering?"""
    if not instances:
        return []
    since = min(started_at for _, _, started_at in instances)
    players = {player_id for player_id, _, _ in instances}
    moments: dict[int, list[dt.datetime]] = defaultdict(list)
    for player_id, occurred_at in session.execute(
        select(PlayerEvent.player_id, PlayerEvent.occurred_at).where(
            PlayerEvent.type == event_type,
            PlayerEvent.occurred_at >= since,
            PlayerEvent.player_id.in_(players),
        )
    ).all():
        moments[player_id].append(occurred_at)
    return [
        any(started_at <= moment <= started_at + window for moment in moments.get(player_id, ()))
        for player_id, _, started_at in instances
    ]
