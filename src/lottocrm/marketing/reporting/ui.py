"""A campaign's results page for analysts and marketers: per arm, lift with 95 % intervals (response,
spend, spend after CUPED), the sample-ratio check, return on cost, lift per lifecycle segment and per content
variant, "preliminary" while the response window is open; a chart of the response per segment and arm; CSV.
And the global holdout's monthly report (``/campaigns/holdout?month=YYYY-MM``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from lottocrm import clock
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.errors import ServiceError
from lottocrm.lake.store import Lake
from lottocrm.marketing.reporting.export import to_csv
from lottocrm.marketing.reporting.holdout import holdout_report
from lottocrm.marketing.reporting.service import campaign_results
from lottocrm.marketing.segments.labels import lifecycle_label
from lottocrm.web.deps import Db, gettext_for, refusal_for, render, require

router = APIRouter(include_in_schema=False)
CampaignId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _lake(request: Request) -> Lake:
    return Lake(request.app.state.settings.lake_path)


@router.get("/campaigns/{campaign_id}/results")
def results_page(
    request: Request,
    principal: Annotated[Principal, require(Permission.REPORTS_VIEW)],
    session: Db,
    campaign_id: CampaignId,
) -> Response:
    _ = gettext_for(request)
    try:
        results = campaign_results(session, campaign_id=campaign_id, lake=_lake(request))
    except ServiceError as error:
        context = {"campaign_id": campaign_id, "error": refusal_for(request, error)}
        return render(
            request, "marketing/results.html", context, status_code=error.http_status, principal=principal
        )
    segments = results.measurement.segments.segments if results.measurement.segments else ()
    chart = {
        "segments": [_(lifecycle_label(segment.segment)) for segment in segments],
        "treatment": [
            segment.treatment_responders / segment.treatment_n if segment.treatment_n else None
            for segment in segments
        ],
        "control": [
            segment.control_responders / segment.control_n if segment.control_n else None
            for segment in segments
        ],
        "labels": {"treatment": _("Treated"), "control": _("Control (not sent)")},
    }
    context = {
        "campaign_id": campaign_id,
        "results": results,
        "m": results.measurement,
        "segments": segments,
        "lifecycle_label": lifecycle_label,
        "chart": json.dumps(chart, ensure_ascii=False),
    }
    return render(request, "marketing/results.html", context, principal=principal)


@router.get("/campaigns/{campaign_id}/results.csv")
def results_csv(
    request: Request,
    _principal: Annotated[Principal, require(Permission.REPORTS_VIEW)],
    session: Db,
    campaign_id: CampaignId,
) -> Response:
    results = campaign_results(session, campaign_id=campaign_id, lake=_lake(request))
    return Response(
        to_csv(results),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}-results.csv"'},
    )


def _shifted(year: int, month: int, by: int) -> str:
    index = year * 12 + month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@router.get("/campaigns/holdout")
def holdout_page(
    request: Request, principal: Annotated[Principal, require(Permission.REPORTS_VIEW)], session: Db
) -> Response:
    """One month of the global holdout; without ``?month`` the last whole month."""
    today = clock.local(clock.now())
    month = request.query_params.get("month") or _shifted(today.year, today.month, -1)
    # The months to pick from: two years back to this one (an older month is still reached by its link).
    months = [_shifted(today.year, today.month, -back) for back in range(24)]
    context: dict[str, object] = {
        "month": month[:40],
        "current": months[0],
        "months": [(value, dt.date(int(value[:4]), int(value[5:]), 1)) for value in months],
    }
    try:
        report = holdout_report(session, lake=_lake(request), month=month)
    except ServiceError as error:
        context["error"] = refusal_for(request, error)
        return render(
            request, "marketing/holdout.html", context, status_code=error.http_status, principal=principal
        )
    year, number = int(report.month[:4]), int(report.month[5:])
    context.update(
        report=report,
        month_start=dt.date(year, number, 1),
        previous=_shifted(year, number, -1),
        following=_shifted(year, number, 1) if report.month < context["current"] else None,
        lake_through=dt.datetime.fromisoformat(report.lake_through) if report.lake_through else None,
    )
    return render(request, "marketing/holdout.html", context, principal=principal)
