"""Cases: open one, move it between states, give it an owner, link what it is about. Services never commit;
each change writes its state history, its audit row and its event, and recomputes the SLA timers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.auth.models import User
from lottocrm.catalog.models import Draw
from lottocrm.contact_centre.cases.facts import apply_contact
from lottocrm.contact_centre.cases.models import (
    DONE_TYPES,
    LINK_KINDS,
    PRIORITIES,
    Case,
    CaseCategory,
    CaseLink,
    CaseState,
    CaseStateChange,
    CaseType,
)
from lottocrm.contact_centre.errors import ContactCentreError, StateRefused, UnknownRecord
from lottocrm.contact_centre.events import CaseStateChanged
from lottocrm.contact_centre.sla import service as sla
from lottocrm.contact_centre.teams.service import team_by_code
from lottocrm.events.outbox import emit
from lottocrm.loyalty.models import LoyaltyOperation
from lottocrm.players.models import Player

MAX_SUBJECT = 200
# The states a new case starts in and a player's new contact reopens a waiting case to (Zammad's
# ``default_create`` and ``default_follow_up``).
CREATE_STATE, FOLLOW_UP_STATE = "new", "open"
# Types of waiting states a player's contact brings back to work; a closed or merged case stays as it is.
REOPENED_BY_CONTACT = frozenset({"pending_reminder", "pending_close", "solved"})


def get_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id)
    case = session.scalar(query.with_for_update() if for_update else query)
    if case is None:
        raise UnknownRecord("no case %(case_id)s", case_id=case_id)
    return case


def state_of(session: Session, code: str) -> CaseState:
    state = session.get(CaseState, code)
    if state is None:
        raise UnknownRecord("no case state %(state)r", state=code)
    return state


def _check_priority(priority: str) -> None:
    if priority not in PRIORITIES:
        raise ContactCentreError(
            "priority %(priority)r is not one of low, normal, high, urgent", priority=priority
        )


def _category(session: Session, case_type: str, category: str | None) -> int | None:
    if category is None:
        return None
    found = session.scalar(
        select(CaseCategory.id).where(CaseCategory.case_type == case_type, CaseCategory.code == category)
    )
    if found is None:
        raise UnknownRecord(
            "case type %(case_type)r has no category %(category)r", case_type=case_type, category=category
        )
    return found


def write_history(
    session: Session, *, case: Case, from_state: str | None, to_state: str, actor: Actor, at: dt.datetime
) -> None:
    session.add(
        CaseStateChange(case_id=case.id, from_state=from_state, to_state=to_state, at=at, actor=actor.name)
    )
    case.state = to_state
    case.updated_at = at
    session.flush()
    emit(
        session,
        CaseStateChanged(case_id=case.id, player_id=case.player_id, from_state=from_state, to_state=to_state),
    )


def open_case(
    session: Session,
    *,
    actor: Actor,
    player_id: int,
    case_type: str,
    subject: str,
    priority: str = "normal",
    category: str | None = None,
    team: str = "support",
    owner_id: int | None = None,
) -> Case:
    subject = " ".join(subject.split())
    if not 1 <= len(subject) <= MAX_SUBJECT:
        raise ContactCentreError("a case needs a subject of 1 to %(max)s characters", max=MAX_SUBJECT)
    _check_priority(priority)
    if session.get(Player, player_id) is None:
        raise UnknownRecord("no player %(player_id)s", player_id=player_id)
    if session.get(CaseType, case_type) is None:
        raise UnknownRecord("no case type %(case_type)r", case_type=case_type)
    category_id = _category(session, case_type, category)
    _check_owner(session, owner_id)
    team_row = team_by_code(session, team)
    now = clock.now()
    case = Case(
        player_id=player_id,
        case_type=case_type,
        category_id=category_id,
        priority=priority,
        state=CREATE_STATE,
        subject=subject,
        team_id=team_row.id,
        owner_id=owner_id,
        created_at=now,
        created_by=actor.name,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    write_history(session, case=case, from_state=None, to_state=CREATE_STATE, actor=actor, at=now)
    sla.refresh(session, case=case)
    record(
        session,
        actor=actor,
        action="contact_centre.case.open",
        player_id=player_id,
        detail={"case_id": case.id, "kind": case_type, "priority": priority},
    )
    return case


def change_state(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    state: str,
    reminder_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """Move the case to ``state``. Merging has its own service; a merged case moves no more; a
    pending-reminder state needs the moment to remind at, in the future."""
    case = get_case(session, case_id, for_update=True)
    target = state_of(session, state)
    current = state_of(session, case.state)
    if current.state_type == "merged":
        raise StateRefused("case %(case_id)s was merged into another case", case_id=case.id)
    if target.state_type == "merged":
        raise StateRefused("merge a case into another one instead of setting it to merged")
    now = at or clock.now()
    if target.state_type == "pending_reminder":
        if reminder_at is None or reminder_at <= now:
            raise StateRefused("a reminder needs a moment in the future")
        case.reminder_at = reminder_at
    elif target.code == case.state:
        return case
    if target.state_type in DONE_TYPES and current.state_type not in DONE_TYPES:
        case.solved_at = now
    elif target.state_type not in DONE_TYPES:
        case.solved_at = None
    before = case.state
    write_history(session, case=case, from_state=before, to_state=target.code, actor=actor, at=now)
    sla.refresh(session, case=case, now=now)
    record(
        session,
        actor=actor,
        action="contact_centre.case.state",
        player_id=case.player_id,
        detail={"case_id": case.id, "from": before, "to": target.code},
    )
    return case


def _check_owner(session: Session, owner_id: int | None) -> None:
    if owner_id is None:
        return
    user = session.get(User, owner_id)
    if user is None or user.disabled:
        raise UnknownRecord("no active member of staff %(user_id)s", user_id=owner_id)


def assign(
    session: Session, *, actor: Actor, case_id: int, owner_id: int | None, team: str | None = None
) -> Case:
    _check_owner(session, owner_id)
    case = get_case(session, case_id, for_update=True)
    if team is not None:
        case.team_id = team_by_code(session, team).id
    case.owner_id = owner_id
    case.updated_at = clock.now()
    session.flush()
    # The team's calendar is the SLA's: a case moved between teams gets due times on the new one's hours.
    sla.refresh(session, case=case)
    record(
        session,
        actor=actor,
        action="contact_centre.case.assign",
        player_id=case.player_id,
        detail={"case_id": case.id, "owner_id": owner_id, "team": team},
    )
    return case


def set_priority(session: Session, *, actor: Actor, case_id: int, priority: str) -> Case:
    _check_priority(priority)
    case = get_case(session, case_id, for_update=True)
    before, case.priority = case.priority, priority
    case.updated_at = clock.now()
    session.flush()
    sla.refresh(session, case=case)
    record(
        session,
        actor=actor,
        action="contact_centre.case.priority",
        player_id=case.player_id,
        detail={"case_id": case.id, "from": before, "to": priority},
    )
    return case


def check_link(session: Session, kind: str, ref_id: int, *, allowed: tuple[str, ...] = LINK_KINDS) -> None:
    """Draws and loyalty operations are rows here and must exist; tickets, wins and payouts live in the lake
    and are taken by id."""
    if kind not in allowed:
        raise ContactCentreError(
            "a link is to one of %(kinds)s, not %(kind)r", kinds=", ".join(allowed), kind=kind
        )
    if not 1 <= ref_id <= 2**63 - 1:
        raise ContactCentreError("%(kind)s id %(ref_id)s is out of range", kind=kind, ref_id=ref_id)
    table = {"draw": Draw, "loyalty_operation": LoyaltyOperation}.get(kind)
    if table is not None and session.get(table, ref_id) is None:
        raise UnknownRecord("no %(kind)s %(ref_id)s", kind=kind, ref_id=ref_id)


def link(session: Session, *, actor: Actor, case_id: int, kind: str, ref_id: int) -> None:
    check_link(session, kind, ref_id)
    case = get_case(session, case_id)
    if session.get(CaseLink, (case.id, kind, ref_id)) is None:
        session.add(CaseLink(case_id=case.id, kind=kind, ref_id=ref_id))
        session.flush()
        record(
            session,
            actor=actor,
            action="contact_centre.case.link",
            player_id=case.player_id,
            detail={"case_id": case.id, "kind": kind, "ref_id": ref_id},
        )


def note_contact(
    session: Session, *, actor: Actor, case: Case, at: dt.datetime, player: bool, reply: bool
) -> None:
    """An interaction on the case: the player's contact (waiting for a reply), the operator's reply, or
    both at once (a call answered live). Sets the SLA's facts and reopens a waiting case the player
    contacts."""
    apply_contact(case, at=at, player=player, reply=reply)
    case.updated_at = at
    state_type = state_of(session, case.state).state_type
    if (player and state_type in REOPENED_BY_CONTACT) or (reply and state_type == "new"):
        change_state(session, actor=actor, case_id=case.id, state=FOLLOW_UP_STATE, at=at)
    else:
        sla.refresh(session, case=case)
