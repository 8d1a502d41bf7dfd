"""Instances: starting one for a player, walking it through its steps, waking it.

A walk runs the steps one after another in the caller's transaction until it reaches a wait (the instance
keeps ``wake_at`` and, for a trigger, ``waiting_for``) or an exit. The graph has no loop without a wait
(:mod:`graph`), so a walk always stops. Every step visited leaves a :class:`JourneyVisit` row. A message is
queued with the dedupe key (instance, step, visit): a walk repeated after a crash queues it once.

Offers and call tasks: :mod:`giving`. Not run yet (refused when a version goes live, :mod:`live`): attribute
steps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm.contact_policy.reasons import CHECKS
from lottocrm.contact_policy.rules import player_zone
from lottocrm.contact_policy.service import decide
from lottocrm.db.hash_unit import SPACE, hash_unit, threshold
from lottocrm.marketing.journeys.definition import (
    Branch,
    CallTask,
    Exit,
    GiveOffer,
    JourneyDefinition,
    Send,
    Split,
    Wait,
)
from lottocrm.marketing.journeys.giving import file_call, give_offer
from lottocrm.marketing.journeys.models import Journey, JourneyInstance, JourneyVersion, JourneyVisit
from lottocrm.marketing.segments.audience import frame_at, values_for
from lottocrm.marketing.segments.conditions import parse
from lottocrm.marketing.segments.evaluate import holds
from lottocrm.messaging.service import Templated, queue_templated
from lottocrm.messaging.templates.service import published_version
from lottocrm.players.models import Player

# The gate's checks about the player rather than a channel: those before the first consent check.
PLAYER_CHECKS = frozenset(list(CHECKS)[: list(CHECKS).index("no_personal_data_consent")])


def definition_of(session: Session, version: JourneyVersion) -> JourneyDefinition:
    """The version's document, parsed once per transaction (a batch of triggers reads it many times). Not
    kept longer: the same version id means another journey in another database."""
    parsed: dict[int, JourneyDefinition] = session.info.setdefault("journey_definitions", {})
    if version.id not in parsed:
        parsed[version.id] = JourneyDefinition.model_validate(version.definition)
    return parsed[version.id]


def start(
    session: Session, *, journey: Journey, version: JourneyVersion, player_id: int, key: str, at: dt.datetime
) -> JourneyInstance | None:
    """A new instance for ``player_id`` (None when the journey's rules keep them out), walked at once."""
    definition = definition_of(session, version)
    if not _may_enter(session, journey, definition, player_id, key, at):
        return None
    control = hash_unit(f"journey:{journey.id}", player_id) < threshold(definition.control_share)
    instance = JourneyInstance(
        journey_id=journey.id,
        version_id=version.id,
        player_id=player_id,
        key=key,
        arm="control" if control else "treated",
        status="waiting",
        step=None if control else definition.start,
        wake_at=at + dt.timedelta(days=definition.goal_window_days) if control else None,
        started_at=at,
    )
    session.add(instance)
    session.flush()
    if control:
        _visit(session, instance, "entry", at, "control")
        return instance
    _visit(session, instance, "entry", at, "entered")
    _walk_from(session, instance, definition, definition.start, at)
    return instance


def _may_enter(
    session: Session,
    journey: Journey,
    definition: JourneyDefinition,
    player_id: int,
    key: str,
    at: dt.datetime,
) -> bool:
    count, last_end = session.execute(
        select(func.count(), func.max(JourneyInstance.ended_at)).where(
            JourneyInstance.journey_id == journey.id, JourneyInstance.key == key
        )
    ).one()
    if count:
        still_open = session.scalar(
            select(JourneyInstance.id).where(
                JourneyInstance.journey_id == journey.id,
                JourneyInstance.key == key,
                JourneyInstance.status == "waiting",
            )
        )
        rule = definition.re_entry
        if still_open is not None or rule.mode == "never":
            return False
        if last_end is not None and at < last_end + dt.timedelta(days=rule.cooldown_days or 0):
            return False
    if definition.message_class == "marketing" and _kept_from_marketing(session, player_id, at):
        return False
    if definition.entry.condition is not None:
        return _meets(session, definition.entry.condition, player_id, at)
    return True


def _kept_from_marketing(session: Session, player_id: int, at: dt.datetime) -> bool:
    """The contact policy's own player-level checks (account, age, responsible gaming) stop marketing to
    the player on every channel: then no marketing journey starts for them."""
    if session.get(Player, player_id) is None:
        return True
    # Any channel: the checks read here come before the per-channel ones (consent, contact point, caps).
    decision = decide(session, player_id=player_id, channel="sms", message_class="marketing", at=at)
    return any(reason.code in PLAYER_CHECKS for reason in decision.reasons)


def _meets(session: Session, condition: dict[str, Any], player_id: int, at: dt.datetime) -> bool:
    node = parse(condition)
    frame = frame_at(session, at)
    try:
        values = values_for(session, node, frame, player_id)
        return values is not None and holds(node, values, frame.today)
    finally:
        frame.release()


def wake(session: Session, instance: JourneyInstance, at: dt.datetime, *, trigger: str | None = None) -> None:
    """Go on from the wait the instance is in: its time came, its timeout passed, or ``trigger`` (the
    one it waits for) happened. A control instance's window is over: it is done."""
    if instance.arm == "control":
        _finish(session, instance, "done", at, reason="window")
        return
    version = session.get(JourneyVersion, instance.version_id)
    assert version is not None and instance.step is not None
    definition = definition_of(session, version)
    step = definition.steps[instance.step]
    assert isinstance(step, Wait)
    if step.for_trigger is not None and trigger != step.for_trigger:
        _visit(session, instance, instance.step, at, "timeout")
        following = step.on_timeout
    else:
        _visit(session, instance, instance.step, at, "happened" if trigger else "waited")
        following = step.next
    instance.wake_at = instance.waiting_for = None
    _walk_from(session, instance, definition, following, at)  # type: ignore[arg-type]


def _walk_from(
    session: Session, instance: JourneyInstance, definition: JourneyDefinition, step_id: str, at: dt.datetime
) -> None:
    current: str | None = step_id
    while current is not None:
        instance.step = current
        current = _run(session, instance, definition, current, definition.steps[current], at)


def _run(
    session: Session,
    instance: JourneyInstance,
    definition: JourneyDefinition,
    name: str,
    step: Any,
    at: dt.datetime,
) -> str | None:
    """Do one step; the next step to run now, or None when the instance waits or has ended."""
    if isinstance(step, Wait):
        instance.wake_at = _wake_time(session, instance, step, at)
        instance.waiting_for = step.for_trigger
        _visit(session, instance, name, at, "waiting")
        return None
    if isinstance(step, Exit):
        _visit(session, instance, name, at, "exit")
        _finish(session, instance, "done", at, reason="exit")
        return None
    if isinstance(step, Branch):
        taken = _meets(session, step.condition, instance.player_id, at)
        _visit(session, instance, name, at, "yes" if taken else "no")
        return step.yes if taken else step.no
    if isinstance(step, Split):
        place = hash_unit(f"journey:{instance.journey_id}:{name}", instance.player_id) / SPACE
        edge = 0.0
        for arm in step.arms:
            edge += arm.percent / 100
            if place < edge:
                break
        _visit(session, instance, name, at, f"arm:{arm.name}")
        return arm.next
    if isinstance(step, Send):
        _visit(session, instance, name, at, _send(session, instance, definition, name, step, at))
        return step.next
    if isinstance(step, GiveOffer):
        visit = _visits_to(session, instance, name)
        _visit(session, instance, name, at, give_offer(session, instance, name, step, visit=visit, at=at))
        return step.next
    if isinstance(step, CallTask):
        visit = _visits_to(session, instance, name)
        outcome = file_call(session, instance, definition, name, step, visit=visit, at=at)
        _visit(session, instance, name, at, outcome)
        return step.next
    raise NotImplementedError(f"{step.kind} steps are not run yet")  # refused at go-live (live.py)


def _wake_time(session: Session, instance: JourneyInstance, step: Wait, at: dt.datetime) -> dt.datetime:
    if step.minutes is not None:
        return at + dt.timedelta(minutes=step.minutes)
    if step.timeout_minutes is not None:
        return at + dt.timedelta(minutes=step.timeout_minutes)
    assert step.until_local_time is not None
    hour, minute = (int(part) for part in step.until_local_time.split(":"))
    player = session.get(Player, instance.player_id)
    local = at.astimezone(player_zone(player.region if player else None))
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment <= local:
        moment = (local + dt.timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment.astimezone(dt.UTC)


def _send(
    session: Session,
    instance: JourneyInstance,
    definition: JourneyDefinition,
    name: str,
    step: Send,
    at: dt.datetime,
) -> str:
    """The first channel the contact policy permits, queued; "not_sent:<reason>" when none does."""
    version = published_version(session, template_id=step.template_id)
    if version is None:
        return "not_sent:no_published_template"
    reason = "none"
    for channel in step.channels:
        decision = decide(
            session,
            player_id=instance.player_id,
            channel=channel,
            message_class=definition.message_class,
            at=at,
            source_kind="journey",
            source_id=str(instance.journey_id),
        )
        if decision.permit is None:
            reason = decision.blocked_by or reason
            continue
        key = f"journey:{instance.id}:{name}:{_visits_to(session, instance, name)}"
        queue_templated(session, [Templated(decision.permit, version.id, key)], at=at)
        return f"sent:{channel}"
    return f"not_sent:{reason}"


def _visits_to(session: Session, instance: JourneyInstance, name: str) -> int:
    """How many times the instance went through step ``name`` before: with the instance and the step, the
    key of what this visit does, so a walk repeated after a crash does it once."""
    return (
        session.scalar(
            select(func.count()).where(JourneyVisit.instance_id == instance.id, JourneyVisit.step == name)
        )
        or 0
    )


def reach_goal(session: Session, instance: JourneyInstance, at: dt.datetime) -> None:
    _visit(session, instance, instance.step or "entry", at, "goal")
    _finish(session, instance, "goal", at, reason="goal")


def end(session: Session, instance: JourneyInstance, at: dt.datetime, *, reason: str) -> None:
    _visit(session, instance, instance.step or "entry", at, f"ended:{reason}")
    _finish(session, instance, "ended", at, reason=reason)


def _finish(
    session: Session, instance: JourneyInstance, status: str, at: dt.datetime, *, reason: str
) -> None:
    instance.status, instance.ended_at, instance.end_reason = status, at, reason
    instance.wake_at = instance.waiting_for = None


def _visit(session: Session, instance: JourneyInstance, step: str, at: dt.datetime, outcome: str) -> None:
    session.add(JourneyVisit(instance_id=instance.id, step=step, at=at, outcome=outcome[:60]))
