"""Saving segments: create one, save a new version, archive it. Each change leaves an audit row in the
caller's transaction (``segment.create``, ``segment.save_version``, ``segment.archive``); nothing commits.

A version is checked before it is stored (:func:`conditions.parse`, and the games, draws and campaigns it
names by :mod:`references`), so a saved segment always compiles;
the stored document is the parsed tree written back (values normalised, duplicates in a list removed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.errors import Conflict, NotFound, ServiceError
from lottocrm.marketing.segments import references
from lottocrm.marketing.segments.conditions import Node, parse, to_document
from lottocrm.marketing.segments.models import Segment, SegmentVersion

MAX_NAME, MAX_DESCRIPTION, MAX_NOTE = 200, 2000, 500


class SegmentNotFound(NotFound):
    code = "segment_not_found"


class SegmentNameTaken(Conflict):
    code = "segment_name_taken"


class SegmentInputError(ServiceError):
    code, http_status = "segment_input_invalid", 422


def _name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise SegmentInputError("a segment's name is 1 to %(limit)s characters", limit=MAX_NAME)
    return cleaned


def create_segment(
    session: Session, *, actor: Actor, name: str, definition: Any, description: str = "", note: str = ""
) -> SegmentVersion:
    """A new segment and its version 1."""
    name = _name(name)
    if len(description) > MAX_DESCRIPTION:
        raise SegmentInputError("a description is at most %(limit)s characters", limit=MAX_DESCRIPTION)
    document = _checked(session, definition)
    if session.scalar(select(Segment.id).where(Segment.name == name)) is not None:
        raise SegmentNameTaken("a segment named %(name)s exists already", name=name)
    now = clock.now()
    segment = Segment(name=name, description=description, created_at=now, created_by=actor.name)
    session.add(segment)
    session.flush()
    version = _add_version(session, actor=actor, segment=segment, document=document, note=note, number=1)
    record(session, actor=actor, action="segment.create", detail={"segment_id": segment.id, "name": name})
    return version


def save_version(
    session: Session, *, actor: Actor, segment_id: int, definition: Any, note: str = ""
) -> SegmentVersion:
    """The segment's next version; earlier versions stay as they were (campaigns cite them)."""
    segment = get_segment(session, segment_id)
    if segment.archived_at is not None:
        raise SegmentInputError("segment %(name)s is archived", name=segment.name)
    document = _checked(session, definition)
    number = (
        session.scalar(select(func.max(SegmentVersion.number)).where(SegmentVersion.segment_id == segment.id))
        or 0
    ) + 1
    version = _add_version(session, actor=actor, segment=segment, document=document, note=note, number=number)
    record(
        session,
        actor=actor,
        action="segment.save_version",
        detail={"segment_id": segment.id, "version": number},
    )
    return version


def archive_segment(session: Session, *, actor: Actor, segment_id: int) -> Segment:
    segment = get_segment(session, segment_id)
    if segment.archived_at is None:
        segment.archived_at = clock.now()
        record(session, actor=actor, action="segment.archive", detail={"segment_id": segment.id})
    return segment


def get_segment(session: Session, segment_id: int) -> Segment:
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise SegmentNotFound("segment %(id)s does not exist", id=segment_id)
    return segment


def current_version(session: Session, segment_id: int) -> SegmentVersion:
    get_segment(session, segment_id)
    version = session.scalar(
        select(SegmentVersion)
        .where(SegmentVersion.segment_id == segment_id)
        .order_by(SegmentVersion.number.desc())
        .limit(1)
    )
    assert version is not None, "every segment is created with its version 1"
    return version


def _checked(session: Session, definition: Any) -> dict[str, Any]:
    """The document parsed, its games, draws and campaigns found in the store, written back normalised."""
    node = parse(definition)
    references.check(session, node)
    return to_document(node)


def tree(version: SegmentVersion) -> Node:
    return parse(version.definition)


def _add_version(
    session: Session, *, actor: Actor, segment: Segment, document: dict[str, Any], note: str, number: int
) -> SegmentVersion:
    if len(note) > MAX_NOTE:
        raise SegmentInputError("a note is at most %(limit)s characters", limit=MAX_NOTE)
    version = SegmentVersion(
        segment_id=segment.id,
        number=number,
        definition=document,
        note=note,
        created_at=clock.now(),
        created_by=actor.name,
    )
    session.add(version)
    session.flush()
    return version
