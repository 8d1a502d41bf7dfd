"""JSON API for journeys: check a document, save a journey and its versions, list and read them. Refusals
arrive as JSON with their code; a journey that does not fit is refused with every fault and its place."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from lottocrm import clock
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.marketing.journeys import library, live, results, service
from lottocrm.marketing.journeys.graph import JourneyInputError
from lottocrm.marketing.journeys.models import Journey, JourneyVersion
from lottocrm.marketing.journeys.triggers import TRIGGERS
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/journeys", tags=["journeys"], responses=API_ERRORS)
JourneyId = Annotated[int, Path(ge=1, le=2**63 - 1)]
CanRead = Annotated[Principal, require(Permission.CAMPAIGN_VIEW)]
CanEdit = Annotated[Principal, require(Permission.CAMPAIGN_EDIT)]
CanApprove = Annotated[Principal, require(Permission.CAMPAIGN_APPROVE)]
PAGE = 50


class JourneyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    definition: dict[str, Any]
    note: str = Field(default="", max_length=500)


class VersionIn(BaseModel):
    definition: dict[str, Any]
    note: str = Field(default="", max_length=500)


class CheckIn(BaseModel):
    definition: dict[str, Any]


class CheckOut(BaseModel):
    valid: bool
    problems: str = Field(description="Every fault with its place, '; '-separated; empty when valid.")


class JourneyOut(BaseModel):
    id: int
    name: str
    description: str
    status: str
    version: int
    definition: dict[str, Any]


class TriggerOut(BaseModel):
    name: str
    description: str
    keys: list[str]
    waitable: bool


def _out(journey: Journey, version: JourneyVersion) -> JourneyOut:
    return JourneyOut(
        id=journey.id,
        name=journey.name,
        description=journey.description,
        status=journey.status,
        version=version.number,
        definition=version.definition,
    )


@router.get("/triggers", response_model=list[TriggerOut])
def list_triggers(principal: CanRead) -> list[TriggerOut]:
    """What may start a journey or be waited for inside one."""
    return [
        TriggerOut(name=t.name, description=t.description, keys=list(t.keys), waitable=t.waitable)
        for t in TRIGGERS.values()
    ]


class ShippedOut(BaseModel):
    code: str
    name: str
    description: str
    trigger: str


@router.get("/library", response_model=list[ShippedOut])
def shipped_journeys(principal: CanRead) -> list[ShippedOut]:
    """The lottery journeys lottocrm ships, each installable as a draft with its message templates."""
    return [
        ShippedOut(code=s.code, name=s.name, description=s.description, trigger=s.trigger)
        for s in library.LIBRARY.values()
    ]


@router.post("/library/{code}", response_model=JourneyOut, status_code=201)
def install_shipped(
    request: Request, principal: CanEdit, session: Db, code: Annotated[str, Path(max_length=40)]
) -> JourneyOut:
    """Install a shipped journey as a new draft (version 1); its templates are created and published where
    the operator has none of that code. Refused if a journey of that name exists."""
    version = library.install(session, actor=acting(request), code=code)
    return _out(service.get_journey(session, version.journey_id), version)


@router.post("/check", response_model=CheckOut)
def check_journey(principal: CanRead, session: Db, body: CheckIn) -> CheckOut:
    """Check a document without saving it: its shape, its graph and what it names in the store."""
    try:
        service.check(session, body.definition)
    except JourneyInputError as error:
        return CheckOut(valid=False, problems=str(error.params["problems"]))
    return CheckOut(valid=True, problems="")


@router.post("", response_model=JourneyOut, status_code=201)
def create_journey(request: Request, principal: CanEdit, session: Db, body: JourneyIn) -> JourneyOut:
    """Save a new journey as a draft, with its version 1."""
    version = service.create_journey(
        session,
        actor=acting(request),
        name=body.name,
        definition=body.definition,
        description=body.description,
        note=body.note,
    )
    return _out(service.get_journey(session, version.journey_id), version)


@router.post("/{journey_id:int}/versions", response_model=JourneyOut, status_code=201)
def save_version(
    request: Request, principal: CanEdit, session: Db, journey_id: JourneyId, body: VersionIn
) -> JourneyOut:
    """Save the journey's next version (the ones before stay as they were)."""
    version = service.save_version(
        session, actor=acting(request), journey_id=journey_id, definition=body.definition, note=body.note
    )
    return _out(service.get_journey(session, journey_id), version)


class LiveIn(BaseModel):
    version: int = Field(ge=1, le=10**6)
    move_instances: bool = Field(
        default=False,
        description="Move the instances walking an older version to this one (those waiting on a wait step "
        "the new version also has); otherwise they finish on theirs.",
    )


@router.post("/{journey_id:int}/live", response_model=JourneyOut)
def go_live(
    request: Request, principal: CanApprove, session: Db, journey_id: JourneyId, body: LiveIn
) -> JourneyOut:
    """Put a version live (another person than its author): new instances start on it."""
    version = live.go_live(
        session,
        actor=acting(request),
        journey_id=journey_id,
        version=body.version,
        move_instances=body.move_instances,
    )
    return _out(service.get_journey(session, journey_id), version)


@router.get("/{journey_id:int}/results")
def journey_results(principal: CanRead, session: Db, journey_id: JourneyId) -> dict[str, Any]:
    """Counts per step and outcome; the goal rate of treated against control with its 95 % interval
    (``lift``; None with ``no_lift_because``); ``preliminary`` while some entrant's window is open."""
    found = results.results(session, journey_id=journey_id, at=clock.now())
    return {
        "journey_id": found.journey_id,
        "steps": [vars(step) for step in found.steps],
        "goal": found.goal,
        "arms": {arm: summary.to_dict() for arm, summary in found.arms.items()},
        "lift": None if found.lift is None else found.lift.to_dict(),
        "no_lift_because": found.no_lift_because,
        "preliminary": found.preliminary,
    }


@router.get("/{journey_id:int}", response_model=JourneyOut)
def get_journey(principal: CanRead, session: Db, journey_id: JourneyId) -> JourneyOut:
    journey = service.get_journey(session, journey_id)
    return _out(journey, service.latest_version(session, journey_id))


@router.get("", response_model=list[JourneyOut])
def list_journeys(
    principal: CanRead, session: Db, page: Annotated[int, Query(ge=1, le=10**6)] = 1
) -> list[JourneyOut]:
    """Journeys by name, 50 a page, each with its newest version."""
    found = service.journeys(session, offset=(page - 1) * PAGE, limit=PAGE)
    return [_out(journey, service.latest_version(session, journey.id)) for journey in found]
