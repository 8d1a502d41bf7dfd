"""What moves instances: the trigger reader (the website's and app's events, in arrival order), the waker
(instances whose wait is over), and the responsible-gaming kill switch. Each is a job or a subscriber of
the durable jobs, so a killed worker's work is done again by the next one; the reader keeps its position in
the same transaction as what it did, so an event is acted on once.

Each stored batch of events wakes the reader (subscriber of ``player_events.accepted``); schedule it every
minute as well, to catch up after an outage, and the waker every minute (``lottocrm jobs schedule
journey-triggers '* * * * *' marketing.journey_triggers``, and ``marketing.wake_journeys``).

Known gap (issue #15): the reader follows ``player_events.id``. On PostgreSQL two batches stored at once can
commit out of id order, and an event whose batch commits after the reader passed its id is not acted on. The
fix is to read only rows whose inserting transaction is older than the oldest one still running (``xmin``
against ``pg_snapshot_xmin``); it is not built yet. SQLite's writers take turns, so there ids commit in order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.events.delivery import EventContext
from lottocrm.jobs.registry import JobContext
from lottocrm.marketing.journeys import walk
from lottocrm.marketing.journeys.live import EVENT_TRIGGERS
from lottocrm.marketing.journeys.models import Journey, JourneyCursor, JourneyInstance, JourneyVersion
from lottocrm.player_events.models import PlayerEvent
from lottocrm.players.events import PlayersRegistered, ResponsibleGamingChanged
from lottocrm.players.models import Player

READER = "player_events"
BATCH = 500


def read_triggers(session: Session, *, at: dt.datetime, limit: int = BATCH) -> int:
    """Act on up to ``limit`` events after the reader's position; how many were read."""
    cursor = session.get(JourneyCursor, READER, with_for_update=True)
    if cursor is None:
        cursor = JourneyCursor(name=READER, position=0)
        session.add(cursor)
    events = session.scalars(
        select(PlayerEvent).where(PlayerEvent.id > cursor.position).order_by(PlayerEvent.id).limit(limit)
    ).all()
    if not events:
        return 0
    live = live_journeys(session)
    for event in events:
        trigger = EVENT_TRIGGERS.get(event.type)
        if trigger is not None and event.player_id is not None:
            happened(
                session, live, player_id=event.player_id, trigger=trigger, properties=event.properties, at=at
            )
    cursor.position = events[-1].id
    return len(events)


def live_journeys(session: Session) -> list[tuple[Journey, JourneyVersion]]:
    return list(
        session.execute(
            select(Journey, JourneyVersion)
            .join(JourneyVersion, JourneyVersion.id == Journey.live_version_id)
            .where(Journey.status == "live")
            .order_by(Journey.id)
        ).all()
    )


def triggers_in_use(
    session: Session, live: list[tuple[Journey, JourneyVersion]], triggers: set[str]
) -> set[str]:
    """Which of ``triggers`` anything acts on: a ``live`` journey's entry, wait or goal, or the wait or goal
    of an instance still walking (it may walk a version no longer live)."""
    versions = [version for _, version in live]
    walking = session.scalars(
        select(JourneyInstance.version_id).where(JourneyInstance.status == "waiting").distinct()
    ).all()
    versions += [version for version_id in walking if (version := session.get(JourneyVersion, version_id))]
    used: set[str] = set()
    for version in versions:
        definition = walk.definition_of(session, version)
        used |= {definition.entry.trigger, definition.goal or ""}
        used |= {step.for_trigger for step in definition.steps.values() if getattr(step, "for_trigger", None)}
    return used & triggers


def happened(
    session: Session,
    live: list[tuple[Journey, JourneyVersion]],
    *,
    player_id: int,
    trigger: str,
    properties: dict[str, Any],
    at: dt.datetime,
) -> None:
    """One player's trigger: goals reached, waits ended, and the journeys it starts."""
    open_instances = session.scalars(
        select(JourneyInstance)
        .where(JourneyInstance.player_id == player_id, JourneyInstance.status == "waiting")
        .order_by(JourneyInstance.id)
    ).all()
    for instance in open_instances:
        definition = walk.definition_of(session, session.get(JourneyVersion, instance.version_id))  # type: ignore[arg-type]
        if definition.goal == trigger:
            walk.reach_goal(session, instance, at)
        elif instance.waiting_for == trigger:
            walk.wake(session, instance, at, trigger=trigger)
    for journey, version in live:
        entry = walk.definition_of(session, version).entry
        if entry.trigger != trigger:
            continue
        if (
            entry.min_prize_kopecks is not None
            and properties.get("amount_kopecks", 0) < entry.min_prize_kopecks
        ):
            continue
        thing = properties.get(f"{entry.key}_id")
        key = f"{entry.key}:{thing}" if entry.key != "player" and thing else f"player:{player_id}"
        with session.begin_nested():  # a start racing another for the same key loses to the unique index
            walk.start(session, journey=journey, version=version, player_id=player_id, key=key, at=at)


# Players loaded with a registration older than this are old accounts arriving (a first load, a migration),
# not registrations: they start no "registered" journey.
RECENT_REGISTRATION = dt.timedelta(days=2)


def start_registered(context: EventContext) -> None:
    """Subscriber of ``players.registered``: an imported batch of players counts as registrations for the
    players who registered lately (the website's own registration event may have come first; the
    instance is kept per player, so they start once)."""
    payload = context.payload
    assert isinstance(payload, PlayersRegistered)
    now = clock.now()
    with context.once() as session:
        live = live_journeys(session)
        if not any(walk.definition_of(session, version).entry.trigger == "registered" for _, version in live):
            return
        recent = session.scalars(
            select(Player.id)
            .where(
                Player.id.between(payload.first_player_id, payload.last_player_id),
                Player.registered_at >= now - RECENT_REGISTRATION,
            )
            .order_by(Player.id)
        ).all()
        for player_id in recent:
            happened(session, live, player_id=player_id, trigger="registered", properties={}, at=now)


def wake_due(session: Session, *, at: dt.datetime, limit: int = BATCH) -> int:
    """Wake up to ``limit`` instances whose wait is over (oldest first); how many."""
    query = (
        select(JourneyInstance)
        .where(JourneyInstance.status == "waiting", JourneyInstance.wake_at <= at)
        .order_by(JourneyInstance.wake_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = session.scalars(query).all()
    for instance in due:
        walk.wake(session, instance, at)
    return len(due)


def journey_triggers(context: JobContext) -> None:
    """The job: read the events that arrived since the last run, a batch per transaction."""
    while True:
        with transaction(context.engine) as session:
            if read_triggers(session, at=clock.now()) < BATCH:
                return


def read_triggers_now(context: EventContext) -> None:
    """Subscriber of ``player_events.accepted``: catch up at once. Runs again after a crash harmlessly: the
    reader's position, not this event, says what is left to read."""
    journey_triggers(context.job)


def wake_journeys(context: JobContext) -> None:
    """The job: wake every instance whose wait is over, a batch per transaction."""
    while True:
        with transaction(context.engine) as session:
            if wake_due(session, at=clock.now()) < BATCH:
                return


def stop_for_responsible_gaming(context: EventContext) -> None:
    """Subscriber of ``players.responsible_gaming_changed``: a player who excludes themselves or takes a
    time-out leaves every journey they are in (service journeys too: a win notice still comes as a
    message the contact policy allows, not from a journey)."""
    payload = context.payload
    assert isinstance(payload, ResponsibleGamingChanged)
    now = clock.now()
    excluded = payload.self_excluded_until is not None and payload.self_excluded_until >= clock.operator_day(
        now
    )
    timed_out = payload.timeout_until is not None and payload.timeout_until > now
    if not (excluded or timed_out):
        return
    with context.once() as session:
        for instance in session.scalars(
            select(JourneyInstance).where(
                JourneyInstance.player_id == payload.player_id, JourneyInstance.status == "waiting"
            )
        ):
            walk.end(session, instance, now, reason="responsible_gaming")
