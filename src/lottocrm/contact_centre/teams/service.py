"""Teams: their working hours (checked, never guessed), zone and members. Services never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.contact_centre.errors import ContactCentreError, InvalidHours, UnknownRecord
from lottocrm.contact_centre.sla.hours import WeekHours
from lottocrm.contact_centre.sla.service import RECOMPUTE_JOB, SLA_QUEUE
from lottocrm.contact_centre.teams.models import MEMBER_ROLES, Queue, Team, TeamMember
from lottocrm.jobs import service as jobs


def _zone(name: str) -> str:
    try:
        clock.zone_named(name)
    except (KeyError, ValueError) as error:
        raise InvalidHours("unknown time zone %(zone)r", zone=name) from error
    return name


def team_by_code(session: Session, code: str) -> Team:
    team = session.scalar(select(Team).where(Team.code == code))
    if team is None:
        raise UnknownRecord("no team %(code)r", code=code)
    return team


def queue_of(session: Session, code: str) -> Queue:
    queue = session.get(Queue, code)
    if queue is None:
        raise UnknownRecord("no queue %(code)r", code=code)
    return queue


def save_team(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    timezone: str,
    hours: dict[str, list[str]],
    production_calendar: bool = True,
) -> Team:
    """Create the team ``code`` or change its hours; the hours are checked first (overlapping windows, a
    bad time, no window at all are refused), so nothing is written on bad input."""
    spec = WeekHours.parse(hours).spec()
    zone = _zone(timezone)
    team = session.scalar(select(Team).where(Team.code == code))
    if team is None:
        team = Team(code=code, created_at=clock.now())
        session.add(team)
    team.name, team.timezone, team.hours, team.production_calendar = name, zone, spec, production_calendar
    session.flush()
    # The open cases' due times follow the new hours: recomputed in bulk after this commits.
    jobs.enqueue(session, kind=RECOMPUTE_JOB, payload={"team": code}, queue=SLA_QUEUE)
    record(
        session,
        actor=actor,
        action="contact_centre.team.save",
        detail={"name": code, "hours": spec, "timezone": zone, "production_calendar": production_calendar},
    )
    return team


def add_member(session: Session, *, actor: Actor, team_code: str, user_id: int, role: str = "member") -> None:
    if role not in MEMBER_ROLES:
        raise ContactCentreError("a team member is a member or a supervisor, not %(role)r", role=role)
    team = team_by_code(session, team_code)
    member = session.get(TeamMember, (team.id, user_id))
    if member is None:
        session.add(TeamMember(team_id=team.id, user_id=user_id, role=role))
    else:
        member.role = role
    session.flush()
    record(
        session,
        actor=actor,
        action="contact_centre.team.member",
        detail={"name": team_code, "user_id": user_id, "role": role},
    )


def teams_of(session: Session, *, user_id: int) -> dict[int, str]:
    """The teams a member of staff belongs to, and their role in each."""
    rows = session.execute(select(TeamMember.team_id, TeamMember.role).where(TeamMember.user_id == user_id))
    return {team_id: role for team_id, role in rows}
