"""``/cases``: the cases one may see, newest first, paged (more rows come in place through htmx); and
``/cases/{id}``: one case — its player, type, state, SLA timers, links, state history and contacts — with a
form to move it to another state."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.auth.models import User
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.contact_centre.cases import access, service
from lottocrm.contact_centre.cases.models import (
    Case,
    CaseCategory,
    CaseLink,
    CaseState,
    CaseStateChange,
    CaseType,
)
from lottocrm.contact_centre.errors import ContactCentreError
from lottocrm.contact_centre.interactions.models import Interaction
from lottocrm.contact_centre.teams.models import Queue, Team, WrapCode
from lottocrm.players.models import Player
from lottocrm.players.schemas import mask_name
from lottocrm.web.deps import Db, acting, form_data, render, require

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
CONTACTS_PER_PAGE = 20
HISTORY_SHOWN = 100
BigId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Before = Annotated[int | None, Query(ge=1, le=2**63 - 1)]
Worker = Annotated[Principal, require(Permission.CASES_WORK)]


def _supervises(principal: Principal) -> bool:
    return principal.can(Permission.CASES_SUPERVISE)


def _labels(session: Session, key: Any, label: Any) -> dict[Any, str]:
    return {code: text for code, text in session.execute(select(key, label))}


def _names(session: Session, principal: Principal, player_ids: set[int]) -> dict[int, str]:
    players = session.scalars(select(Player).where(Player.id.in_(player_ids)))
    names = {}
    for player in players:
        parts = (player.last_name, player.first_name, player.middle_name)
        names[player.id] = mask_name(*parts) if principal.masked else " ".join(p for p in parts if p)
    return names


def _overdue(case: Case, now: dt.datetime) -> bool:
    return case.next_due_at is not None and case.next_due_at < now


@router.get("/cases")
def cases_page(request: Request, principal: Worker, session: Db, before: Before = None) -> Response:
    shown, next_before = access.list_cases(
        session,
        actor=acting(request),
        user_id=principal.user_id,
        supervises=_supervises(principal),
        before=before,
        limit=PER_PAGE,
    )
    context = {
        "cases": shown,
        "next_before": next_before,
        "names": _names(session, principal, {case.player_id for case in shown}),
        "types": _labels(session, CaseType.code, CaseType.label),
        "states": _labels(session, CaseState.code, CaseState.label),
        "now": clock.now(),
        "overdue": _overdue,
    }
    # htmx asks for the next rows only; they are appended to the table in place.
    name = (
        "contact_centre/_case_rows.html" if request.headers.get("hx-request") else "contact_centre/cases.html"
    )
    return render(request, name, context, principal=principal)


def _contacts(session: Session, case_id: int, before: int | None) -> tuple[list[dict[str, Any]], int | None]:
    query = (
        select(Interaction, Queue.label, WrapCode.label)
        .join(Queue, Queue.code == Interaction.queue)
        .outerjoin(WrapCode, (WrapCode.queue == Interaction.queue) & (WrapCode.code == Interaction.wrap_code))
        .where(Interaction.case_id == case_id)
        .order_by(Interaction.id.desc())
        .limit(CONTACTS_PER_PAGE + 1)
    )
    if before is not None:
        query = query.where(Interaction.id < before)
    rows = [{"row": row, "queue": queue, "wrap": wrap} for row, queue, wrap in session.execute(query)]
    shown = rows[:CONTACTS_PER_PAGE]
    return shown, (shown[-1]["row"].id if len(rows) > CONTACTS_PER_PAGE else None)


@router.get("/cases/{case_id}")
def case_page(request: Request, principal: Worker, session: Db, case_id: BigId) -> Response:
    case = access.view_case(
        session,
        actor=acting(request),
        case_id=case_id,
        user_id=principal.user_id,
        supervises=_supervises(principal),
    )
    states = session.scalars(select(CaseState).order_by(CaseState.code)).all()
    contacts, more_contacts = _contacts(session, case.id, None)
    history = session.scalars(
        select(CaseStateChange)
        .where(CaseStateChange.case_id == case.id)
        .order_by(CaseStateChange.at.desc(), CaseStateChange.id.desc())
        .limit(HISTORY_SHOWN)
    ).all()
    category = session.get(CaseCategory, case.category_id) if case.category_id else None
    owner = session.get(User, case.owner_id) if case.owner_id else None
    context = {
        "case": case,
        "name": _names(session, principal, {case.player_id}).get(case.player_id, ""),
        "type_label": session.get(CaseType, case.case_type).label,  # type: ignore[union-attr]
        "category": category.label if category else None,
        "team": session.get(Team, case.team_id).name,  # type: ignore[union-attr]
        "owner": owner.display_name if owner else None,
        "state_labels": {state.code: state.label for state in states},
        "choices": [state for state in states if state.state_type != "merged"],
        "timers": (
            (
                "first_response",
                case.first_response_due_at,
                case.first_response_breached,
                case.first_response_at,
            ),
            ("update", case.update_due_at, case.update_breached, None),
            ("resolution", case.resolution_due_at, case.resolution_breached, case.solved_at),
        ),
        "links": session.execute(
            select(CaseLink.kind, CaseLink.ref_id).where(CaseLink.case_id == case.id)
        ).all(),
        "history": history,
        "contacts": contacts,
        "more_contacts": more_contacts,
        "now": clock.now(),
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "contact_centre/case.html", context, principal=principal)


@router.get("/cases/{case_id}/contacts")
def case_contacts(
    request: Request, principal: Worker, session: Db, case_id: BigId, before: Before = None
) -> Response:
    """The next contacts of a case, for htmx to append."""
    access.visible_case(
        session, case_id=case_id, user_id=principal.user_id, supervises=_supervises(principal)
    )
    contacts, more_contacts = _contacts(session, case_id, before)
    context = {"case_id": case_id, "contacts": contacts, "more_contacts": more_contacts}
    return render(request, "contact_centre/_contact_rows.html", context, principal=principal)


def _wall_clock(text: str) -> dt.datetime:
    """``31.12.2026 18:00`` on the operator's wall clock, as an operator types it."""
    try:
        return dt.datetime.strptime(text, "%d.%m.%Y %H:%M").replace(tzinfo=clock.operator_zone())
    except ValueError:
        raise ContactCentreError(
            "%(value)r is not a date and time like 31.12.2026 18:00", value=text
        ) from None


@router.post("/cases/{case_id}/state")
def change_state(
    request: Request,
    principal: Worker,
    session: Db,
    case_id: BigId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    access.visible_case(
        session, case_id=case_id, user_id=principal.user_id, supervises=_supervises(principal)
    )
    reminder = form.get("reminder_at", "").strip()
    reminder_at = _wall_clock(reminder) if reminder else None
    service.change_state(
        session, actor=acting(request), case_id=case_id, state=form.get("state", ""), reminder_at=reminder_at
    )
    return RedirectResponse(f"/cases/{case_id}?saved=1", status_code=303)
