"""JSON API: a team's working hours, zone and production calendar (``contact_centre:configure``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.contact_centre.teams import service
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/contact-centre/teams", tags=["contact centre"], responses=API_ERRORS)
TeamCode = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class TeamIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    timezone: str = Field(max_length=64)
    hours: dict[str, list[Annotated[str, Field(max_length=20)]]] = Field(
        description='Windows per weekday, {"mon": ["09:00-13:00", "14:00-18:00"], …}; missing days are off.'
    )
    production_calendar: bool = True


class TeamOut(TeamIn):
    code: str


@router.put("/{code}", response_model=TeamOut)
def save_team(
    request: Request,
    principal: Annotated[Principal, require(Permission.CONTACT_CENTRE_CONFIGURE)],
    session: Db,
    code: TeamCode,
    body: TeamIn,
) -> TeamOut:
    """Create the team or change its hours. Overlapping windows are refused (400), nothing is saved; open
    cases get due times on the new hours as their next change or the recompute reaches them."""
    team = service.save_team(session, actor=acting(request), code=code, **body.model_dump())
    return TeamOut(
        code=team.code,
        name=team.name,
        timezone=team.timezone,
        hours=team.hours,
        production_calendar=team.production_calendar,
    )
