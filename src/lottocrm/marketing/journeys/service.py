"""Saving journeys: create one, save a new version. Each version is checked whole before it is stored — its
shape and graph (:mod:`graph`), then what it names in the store (templates of the journey's message class
with a published version, the segment it enters from) — so a stored journey can always be run. Each change
leaves an audit row in the caller's transaction; nothing commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.errors import Conflict, NotFound
from lottocrm.marketing.journeys.definition import JourneyDefinition, Send
from lottocrm.marketing.journeys.graph import JourneyInputError, parse_journey
from lottocrm.marketing.journeys.models import Journey, JourneyVersion
from lottocrm.marketing.segments.models import Segment
from lottocrm.messaging.templates.models import MessageTemplate
from lottocrm.messaging.templates.service import published_version

MAX_NAME, MAX_DESCRIPTION, MAX_NOTE = 200, 2000, 500


class JourneyNotFound(NotFound):
    code = "journey_not_found"


class JourneyNameTaken(Conflict):
    code = "journey_name_taken"


def check(session: Session, document: Any) -> JourneyDefinition:
    """The journey as it would be stored, or :class:`JourneyInputError` with every fault and its place."""
    journey = parse_journey(document)
    found = _store_faults(session, journey)
    if found:
        raise JourneyInputError("the journey is not valid: %(problems)s", problems="; ".join(found))
    return journey


def _store_faults(session: Session, journey: JourneyDefinition) -> list[str]:
    found = []
    for name, step in journey.steps.items():
        if not isinstance(step, Send):
            continue
        template = session.get(MessageTemplate, step.template_id)
        if template is None:
            found.append(f"steps.{name}: template {step.template_id} does not exist")
        elif template.message_class != journey.message_class:
            found.append(
                f"steps.{name}: template {template.code} is a {template.message_class} template; "
                f"this journey sends {journey.message_class} messages"
            )
        elif published_version(session, template_id=template.id) is None:
            found.append(f"steps.{name}: template {template.code} has no published version")
    segment_id = journey.entry.segment_id
    if segment_id is not None:
        segment = session.get(Segment, segment_id)
        if segment is None or segment.archived_at is not None:
            found.append(f"entry.segment_id: no segment {segment_id}")
    return found


def _name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise JourneyInputError("a journey's name is 1 to %(limit)s characters", limit=MAX_NAME)
    return cleaned


def create_journey(
    session: Session, *, actor: Actor, name: str, definition: Any, description: str = "", note: str = ""
) -> JourneyVersion:
    """A new journey (a draft) and its version 1."""
    name = _name(name)
    if len(description) > MAX_DESCRIPTION:
        raise JourneyInputError("a description is at most %(limit)s characters", limit=MAX_DESCRIPTION)
    journey_document = check(session, definition)
    if session.scalar(select(Journey.id).where(Journey.name == name)) is not None:
        raise JourneyNameTaken("a journey named %(name)s exists already", name=name)
    journey = Journey(name=name, description=description, created_at=clock.now(), created_by=actor.name)
    session.add(journey)
    session.flush()
    version = _add_version(session, actor, journey, journey_document, note, number=1)
    record(session, actor=actor, action="journey.create", detail={"journey_id": journey.id, "name": name})
    return version


def save_version(
    session: Session, *, actor: Actor, journey_id: int, definition: Any, note: str = ""
) -> JourneyVersion:
    journey = get_journey(session, journey_id)
    journey_document = check(session, definition)
    latest = session.scalar(
        select(func.max(JourneyVersion.number)).where(JourneyVersion.journey_id == journey.id)
    )
    version = _add_version(session, actor, journey, journey_document, note, number=(latest or 0) + 1)
    record(
        session,
        actor=actor,
        action="journey.save_version",
        detail={"journey_id": journey.id, "version": version.number},
    )
    return version


def _add_version(
    session: Session, actor: Actor, journey: Journey, document: JourneyDefinition, note: str, *, number: int
) -> JourneyVersion:
    if len(note) > MAX_NOTE:
        raise JourneyInputError("a note is at most %(limit)s characters", limit=MAX_NOTE)
    version = JourneyVersion(
        journey_id=journey.id,
        number=number,
        definition=document.model_dump(mode="json", exclude_defaults=False),
        note=note,
        created_at=clock.now(),
        created_by=actor.name,
    )
    session.add(version)
    session.flush()
    return version


def get_journey(session: Session, journey_id: int) -> Journey:
    journey = session.get(Journey, journey_id)
    if journey is None:
        raise JourneyNotFound("no journey %(id)s", id=journey_id)
    return journey


def latest_version(session: Session, journey_id: int) -> JourneyVersion:
    return session.scalars(
        select(JourneyVersion)
        .where(JourneyVersion.journey_id == journey_id)
        .order_by(JourneyVersion.number.desc())
    ).first()  # type: ignore[return-value]  # every journey has its version 1


def journeys(session: Session, *, offset: int, limit: int) -> list[Journey]:
    return list(session.scalars(select(Journey).order_by(Journey.name).offset(offset).limit(limit)))
