"""JSON API: a campaign's results and the global holdout's monthly report, for analysts and their tools
(``reports:view``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.lake.store import Lake
from lottocrm.marketing.reporting.holdout import holdout_report
from lottocrm.marketing.reporting.service import campaign_results
from lottocrm.web.deps import Db, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=API_ERRORS)

CampaignId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The campaign's id")]


@router.get("/{campaign_id}/results")
def results(
    campaign_id: CampaignId,
    request: Request,
    session: Db,
    principal: Annotated[Principal, require(Permission.REPORTS_VIEW)],
    run: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="One run only (default: all)")] = None,
) -> dict[str, Any]:
    """Per arm (players, sent, delivered, responders, spend), response and spend lift with 95 % intervals,
    the sample-ratio check, CUPED and lift per lifecycle segment; ``preliminary`` while the window is open."""
    lake = Lake(request.app.state.settings.lake_path)
    return campaign_results(session, campaign_id=campaign_id, run_id=run, lake=lake).to_dict()


class HoldoutRefusal(BaseModel):
    """422 on this route is either the service's refusal (``detail`` text and ``code``: a malformed month, one
    that has not begun, nothing to compare) or FastAPI's list of parameters that do not match."""

    detail: str | list[dict[str, Any]]
    code: str | None = None


@router.get(
    "/holdout",
    responses={
        422: {"model": HoldoutRefusal, "description": "The month or the data refused, or bad parameters"}
    },
)
def holdout(
    request: Request,
    session: Db,
    principal: Annotated[Principal, require(Permission.REPORTS_VIEW)],
    month: Annotated[str, Query(max_length=40, description="The operator's month, YYYY-MM")],
) -> dict[str, Any]:
    """The global holdout against every other registered player in one month and in the year so far:
    players, buyers, spend per player, response and spend lift with 95 % intervals, and the incremental
    revenue of all marketing; ``preliminary`` while the month is not over or the lake is behind."""
    lake = Lake(request.app.state.settings.lake_path)
    return holdout_report(session, lake=lake, month=month).to_dict()
