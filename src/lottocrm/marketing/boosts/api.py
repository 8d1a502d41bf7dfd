"""JSON API for boost windows: list the current (and, on request, past) windows, add one, remove one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.marketing.boosts import service as boosts
from lottocrm.marketing.boosts.models import BoostWindow
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/campaign-boosts", tags=["campaigns"], responses=API_ERRORS)


class BoostIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    first_day: dt.date = Field(description="the first operator day of the window")
    last_day: dt.date = Field(description="the last operator day of the window (included)")
    extra_per_day: int = Field(ge=1, le=boosts.MAX_EXTRA, description="campaigns a day on top of the budget")
    segment_id: int = Field(ge=1, le=2**63 - 1, description="the players interested in the event")


class BoostOut(BaseModel):
    id: int
    name: str
    first_day: dt.date
    last_day: dt.date
    extra_per_day: int
    segment_id: int
    created_by: str


def _out(window: BoostWindow) -> BoostOut:
    return BoostOut(
        id=window.id,
        name=window.name,
        first_day=window.first_day,
        last_day=window.last_day,
        extra_per_day=window.extra_per_day,
        segment_id=window.segment_id,
        created_by=window.created_by,
    )


@router.get("", response_model=list[BoostOut])
def list_windows(
    _: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)],
    session: Db,
    include_past: Annotated[bool, Query(description="also windows that have ended")] = False,
) -> list[BoostOut]:
    return [_out(window) for window in boosts.windows(session, include_past=include_past)]


@router.post("", response_model=BoostOut, status_code=201)
def add(
    request: Request,
    _: Annotated[Principal, require(Permission.CAMPAIGN_APPROVE)],
    session: Db,
    body: BoostIn,
) -> BoostOut:
    """A boost raises contact pressure, so it takes the approver's permission, not the marketer's."""
    return _out(boosts.add_window(session, actor=acting(request), **body.model_dump()))


@router.delete("/{window_id}", status_code=204)
def remove(
    request: Request,
    _: Annotated[Principal, require(Permission.CAMPAIGN_APPROVE)],
    session: Db,
    window_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> Response:
    boosts.remove_window(session, actor=acting(request), window_id=window_id)
    return Response(status_code=204)
