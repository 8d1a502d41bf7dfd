"""The dashboard page. Its charts are drawn by static/dashboard.js from the report API (no inline script)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lottocrm import vocab
from lottocrm.analytics.mart.segments import NOT_REGISTERED, SEGMENT_LABELS
from lottocrm.analytics.queries.kpi import KpiQuery
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.lake.store import Lake
from lottocrm.web.deps import gettext_for, locale_for, render, require

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard(
    request: Request, principal: Annotated[Principal, require(Permission.REPORTS_VIEW)]
) -> Response:
    settings = request.app.state.settings
    runner = ReportRunner(request.app.state.engine, lake=Lake(settings.lake_path))
    kpi = runner.run(KpiQuery()).to_pylist()
    latest = kpi[-1] if kpi else None
    gettext = gettext_for(request)
    region_name = partial(vocab.region_name, locale=locale_for(request, principal))
    # The segment charts name segments in the page's language (the API keeps the codes), in lifecycle order:
    # a list of pairs because tojson sorts an object's keys.
    segments = [
        (code, gettext(label))
        for code, label in {**SEGMENT_LABELS, NOT_REGISTERED: "Not registered yet"}.items()
    ]
    # Region and channel codes (the report API's values) by their names in the page's language.
    names = {code: region_name(code) for code in vocab.REGIONS} | {
        code: gettext(code) for code in vocab.SALES_CHANNELS
    }
    return render(
        request,
        "dashboard.html",
        {"latest": latest, "months": len(kpi), "segments": segments, "names": names},
    )
