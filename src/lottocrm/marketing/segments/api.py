"""JSON API for segments: the field catalogue, save and version, list, preview (size and the exclusion
waterfall for a channel) and "why is / isn't player N in". Refusals arrive as JSON with their code."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from lottocrm import vocab
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.marketing.segments import references, service
from lottocrm.marketing.segments.audience import explain_player, frame_at
from lottocrm.marketing.segments.conditions import OPERATORS, parse
from lottocrm.marketing.segments.fields import FIELDS
from lottocrm.marketing.segments.models import Segment
from lottocrm.marketing.segments.preview import preview
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/segments", tags=["segments"], responses=API_ERRORS)
SegmentId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PAGE = 50


class FieldOut(BaseModel):
    name: str
    kind: str
    label: str
    group: str
    operators: list[str]
    choices: list[str] | None
    params: list[str]
    # Of ``params``, those that may be left out; ``param_rule`` says how they combine: "window" (days, or
    # from and to as YYYY-MM-DD; game optional), "draw" (game, and number or on as YYYY-MM-DD).
    optional_params: list[str] = []
    param_rule: str | None = None


class SegmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    definition: dict[str, Any]
    note: str = Field(default="", max_length=500)


class VersionIn(BaseModel):
    definition: dict[str, Any]
    note: str = Field(default="", max_length=500)


class SegmentOut(BaseModel):
    id: int
    name: str
    description: str
    version: int
    version_id: int
    definition: dict[str, Any]
    archived: bool


class PreviewIn(BaseModel):
    definition: dict[str, Any]
    channel: str = Field(default="sms", description=f"one of {', '.join(vocab.CONSENT_CHANNELS)}")


class StepOut(BaseModel):
    name: str
    removed: int
    remaining: int
    checks: dict[str, int]


class PreviewOut(BaseModel):
    channel: str
    size: int
    steps: list[StepOut]
    reachable: int
    held_for_quiet_hours: int
    sample: list[int]
    at: dt.datetime
    record_as_of: dt.date | None


class CheckOut(BaseModel):
    field: str
    op: str
    value: Any
    player_value: Any
    holds: bool


class ExplainOut(BaseModel):
    player_id: int
    known: bool
    member: bool
    checks: list[CheckOut]


@router.get("/fields", response_model=list[FieldOut])
def fields(_: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)]) -> list[FieldOut]:
    """What a condition may test: each field's kind, operators, fixed choices and parameters."""
    return [
        FieldOut(
            name=spec.name,
            kind=spec.kind,
            label=spec.label,
            group=spec.group,
            operators=list(OPERATORS[spec.kind]),
            choices=list(spec.choices) if spec.choices else None,
            params=[param.name for param in spec.params],
            optional_params=[param.name for param in spec.params if param.optional],
            param_rule=spec.param_rule,
        )
        for spec in FIELDS.values()
    ]


def _out(session: Db, segment: Segment) -> SegmentOut:
    version = service.current_version(session, segment.id)
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        description=segment.description,
        version=version.number,
        version_id=version.id,
        definition=version.definition,
        archived=segment.archived_at is not None,
    )


@router.get("", response_model=list[SegmentOut])
def list_segments(
    _: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)],
    session: Db,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> list[SegmentOut]:
    """Segments by name, 50 a page."""
    found = session.scalars(select(Segment).order_by(Segment.name).offset((page - 1) * PAGE).limit(PAGE))
    return [_out(session, segment) for segment in found]


@router.post("", response_model=SegmentOut, status_code=201)
def create(
    request: Request, _: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)], session: Db, body: SegmentIn
) -> SegmentOut:
    version = service.create_segment(
        session,
        actor=acting(request),
        name=body.name,
        description=body.description,
        definition=body.definition,
        note=body.note,
    )
    return _out(session, service.get_segment(session, version.segment_id))


@router.get("/{segment_id:int}", response_model=SegmentOut)
def one(
    _: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db, segment_id: SegmentId
) -> SegmentOut:
    return _out(session, service.get_segment(session, segment_id))


@router.post("/{segment_id:int}/versions", response_model=SegmentOut, status_code=201)
def new_version(
    request: Request,
    _: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    segment_id: SegmentId,
    body: VersionIn,
) -> SegmentOut:
    service.save_version(
        session, actor=acting(request), segment_id=segment_id, definition=body.definition, note=body.note
    )
    return _out(session, service.get_segment(session, segment_id))


@router.post("/preview", response_model=PreviewOut)
def preview_segment(
    _: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db, body: PreviewIn
) -> PreviewOut:
    """The size of a (saved or unsaved) segment now and where the contact policy takes players away on the
    channel; nothing is saved."""
    node = parse(body.definition)
    references.check(session, node)
    shown = preview(session, node=node, frame=frame_at(session), channel=body.channel)
    return PreviewOut(
        channel=shown.channel,
        size=shown.size,
        steps=[
            StepOut(name=s.name, removed=s.removed, remaining=s.remaining, checks=s.checks)
            for s in shown.steps
        ],
        reachable=shown.reachable,
        held_for_quiet_hours=shown.held_for_quiet_hours,
        sample=list(shown.sample),
        at=shown.at,
        record_as_of=shown.snapshot.record,
    )


@router.get("/{segment_id:int}/players/{player_id}", response_model=ExplainOut)
def why(
    _: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)],
    session: Db,
    segment_id: SegmentId,
    player_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> ExplainOut:
    """Whether the player is in the segment's current version, condition by condition with their value."""
    node = service.tree(service.current_version(session, segment_id))
    verdict = explain_player(session, node, frame_at(session), player_id)
    return ExplainOut(
        player_id=player_id,
        known=verdict.known,
        member=verdict.member,
        checks=[
            CheckOut(
                field=check.condition.field,
                op=check.condition.op,
                value=check.condition.value,
                player_value=check.value,
                holds=check.holds,
            )
            for check in verdict.checks
        ],
    )
