"""JSON API for cases: open, list (paged, newest first), read, move between states, assign, prioritise,
link, merge. Operators work the cases they see (``cases:work``); supervisors see their teams' cases
(``cases:supervise``). A case one may not see answers 404, as one that does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.contact_centre.cases import access, service
from lottocrm.contact_centre.cases import merge as merging
from lottocrm.contact_centre.cases.access import visible_case
from lottocrm.contact_centre.cases.models import Case, CaseLink
from lottocrm.contact_centre.cases.schemas import (
    AssignIn,
    CaseIn,
    CaseLinkIn,
    CaseOut,
    CasePage,
    MergeIn,
    PriorityIn,
    StateIn,
    TimerOut,
)
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/contact-centre/cases", tags=["contact centre"], responses=API_ERRORS)
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Worker = Annotated[Principal, require(Permission.CASES_WORK)]
PAGE = 50


def _supervises(principal: Principal) -> bool:
    return principal.can(Permission.CASES_SUPERVISE)


def _visible(session: Db, principal: Principal, case_id: int) -> Case:
    return visible_case(
        session, case_id=case_id, user_id=principal.user_id, supervises=_supervises(principal)
    )


def _out(session: Db, case: Case) -> CaseOut:
    links = session.execute(select(CaseLink.kind, CaseLink.ref_id).where(CaseLink.case_id == case.id))
    return CaseOut(
        id=case.id,
        player_id=case.player_id,
        case_type=case.case_type,
        priority=case.priority,
        state=case.state,
        subject=case.subject,
        team_id=case.team_id,
        owner_id=case.owner_id,
        merged_into_id=case.merged_into_id,
        created_at=case.created_at,
        updated_at=case.updated_at,
        first_response_at=case.first_response_at,
        solved_at=case.solved_at,
        next_due_at=case.next_due_at,
        first_response=TimerOut(due_at=case.first_response_due_at, breached=case.first_response_breached),
        update=TimerOut(due_at=case.update_due_at, breached=case.update_breached),
        resolution=TimerOut(due_at=case.resolution_due_at, breached=case.resolution_breached),
        first_response_minutes=case.first_response_minutes,
        resolution_minutes=case.resolution_minutes,
        escalated_at=case.escalated_at,
        links=[CaseLinkIn(kind=kind, id=ref_id) for kind, ref_id in links],
    )


@router.post("", response_model=CaseOut, status_code=201)
def open_case(request: Request, principal: Worker, session: Db, body: CaseIn) -> CaseOut:
    """Open a case for a player; the signed-in operator owns it."""
    case = service.open_case(session, actor=acting(request), owner_id=principal.user_id, **body.model_dump())
    return _out(session, case)


@router.get("", response_model=CasePage)
def list_cases(
    request: Request,
    principal: Worker,
    session: Db,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = PAGE,
) -> CasePage:
    """The cases one may see, newest first, ``limit`` at a time."""
    shown, next_before = access.list_cases(
        session,
        actor=acting(request),
        user_id=principal.user_id,
        supervises=_supervises(principal),
        before=before,
        limit=limit,
    )
    return CasePage(cases=[_out(session, case) for case in shown], next_before=next_before)


@router.get("/{case_id}", response_model=CaseOut)
def get_case(request: Request, principal: Worker, session: Db, case_id: CaseId) -> CaseOut:
    case = access.view_case(
        session,
        actor=acting(request),
        case_id=case_id,
        user_id=principal.user_id,
        supervises=_supervises(principal),
    )
    return _out(session, case)


@router.post("/{case_id}/state", response_model=CaseOut)
def change_state(request: Request, principal: Worker, session: Db, case_id: CaseId, body: StateIn) -> CaseOut:
    _visible(session, principal, case_id)
    case = service.change_state(
        session, actor=acting(request), case_id=case_id, state=body.state, reminder_at=body.reminder_at
    )
    return _out(session, case)


@router.post("/{case_id}/assign", response_model=CaseOut)
def assign(request: Request, principal: Worker, session: Db, case_id: CaseId, body: AssignIn) -> CaseOut:
    _visible(session, principal, case_id)
    case = service.assign(
        session, actor=acting(request), case_id=case_id, owner_id=body.owner_id, team=body.team
    )
    return _out(session, case)


@router.post("/{case_id}/priority", response_model=CaseOut)
def set_priority(
    request: Request, principal: Worker, session: Db, case_id: CaseId, body: PriorityIn
) -> CaseOut:
    _visible(session, principal, case_id)
    case = service.set_priority(session, actor=acting(request), case_id=case_id, priority=body.priority)
    return _out(session, case)


@router.post("/{case_id}/links", response_model=CaseOut)
def link(request: Request, principal: Worker, session: Db, case_id: CaseId, body: CaseLinkIn) -> CaseOut:
    _visible(session, principal, case_id)
    service.link(session, actor=acting(request), case_id=case_id, kind=body.kind, ref_id=body.id)
    return _out(session, service.get_case(session, case_id))


@router.post("/{case_id}/merge", response_model=CaseOut)
def merge(request: Request, principal: Worker, session: Db, case_id: CaseId, body: MergeIn) -> CaseOut:
    """Merge this case into ``into``: its contacts and links move there; it is left merged."""
    _visible(session, principal, case_id)
    _visible(session, principal, body.into)
    merging.merge(session, actor=acting(request), source_id=case_id, target_id=body.into)
    return _out(session, service.get_case(session, case_id))
