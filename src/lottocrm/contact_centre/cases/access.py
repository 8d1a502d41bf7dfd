"""Who sees which cases: an operator their own cases and the unassigned ones of their teams (to pick one
up); a supervisor every case of the teams they supervise, and their own. Staff outside the contact
centre's teams see only the cases they own."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.contact_centre.cases.models import Case
from lottocrm.contact_centre.errors import UnknownRecord
from lottocrm.contact_centre.teams.models import TeamMember


def visible_to(*, user_id: int | None, supervises: bool) -> ColumnElement[bool]:
    """A condition on ``Case`` for the cases this member of staff may see."""
    if user_id is None:
        return false()
    teams = select(TeamMember.team_id).where(TeamMember.user_id == user_id)
    if supervises:
        led = teams.where(TeamMember.role == "supervisor")
        return or_(Case.owner_id == user_id, Case.team_id.in_(led))
    return or_(Case.owner_id == user_id, and_(Case.owner_id.is_(None), Case.team_id.in_(teams)))


def visible_case(session: Session, *, case_id: int, user_id: int | None, supervises: bool) -> Case:
    """The case, if this member of staff may see it; otherwise the same answer as for no such case, so a
    case's existence is not confirmed to someone who may not see it."""
    case = session.scalar(
        select(Case).where(Case.id == case_id, visible_to(user_id=user_id, supervises=supervises))
    )
    if case is None:
        raise UnknownRecord("no case %(case_id)s", case_id=case_id)
    return case


def view_case(session: Session, *, actor: Actor, case_id: int, user_id: int | None, supervises: bool) -> Case:
    """Open a case to read it: a look at a player's data, so it leaves an audit row."""
    case = visible_case(session, case_id=case_id, user_id=user_id, supervises=supervises)
    record(
        session,
        actor=actor,
        action="contact_centre.case.view",
        player_id=case.player_id,
        detail={"case_id": case.id},
    )
    return case


def list_cases(
    session: Session, *, actor: Actor, user_id: int | None, supervises: bool, before: int | None, limit: int
) -> tuple[list[Case], int | None]:
    """The visible cases older than case ``before`` (all when None), newest first, and the ``before`` of
    the next page (None on the last). The look is audited with the cases it showed."""
    query = select(Case).where(visible_to(user_id=user_id, supervises=supervises)).order_by(Case.id.desc())
    if before is not None:
        query = query.where(Case.id < before)
    rows = list(session.scalars(query.limit(limit + 1)))
    shown = rows[:limit]
    record(
        session,
        actor=actor,
        action="contact_centre.cases.list",
        detail={"cases": [case.id for case in shown]},
    )
    return shown, (shown[-1].id if len(rows) > limit else None)
