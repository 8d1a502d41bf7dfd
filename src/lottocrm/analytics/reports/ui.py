"""The dashboard page. Its charts are drawn by static/dashboard.js from the report API (no inline script).

The page never computes a report: it shows what ``report_cache`` holds for the data as it stands (the worker
fills it after every import and write-back, see ``queries/refresh.py``) and marks the rest as being computed.
A missing chart is computed by its own API call and drawn when it arrives; missing cards load from
``/dashboard/cards``. So the page answers in one cache lookup whatever the data's size, worker or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Request
from fastapi.responses import Response

from lottocrm import clock, vocab
from lottocrm.analytics.mart.segments import NOT_REGISTERED, SEGMENT_LABELS
from lottocrm.analytics.queries.kpi import KpiQuery
from lottocrm.analytics.queries.registry import dashboard_reports
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.lake.store import Lake
from lottocrm.web.deps import gettext_for, locale_for, render, require

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Cards:
    """The headline cards: the last complete month's KPIs, and the month of the latest sale while it is not
    over — never a partial month presented as a whole one."""

    month: dict[str, Any] | None
    so_far: dict[str, Any] | None


def cards_of(kpi: pa.Table) -> Cards:
    rows = kpi.to_pylist()
    complete = [row for row in rows if row["complete"]]
    under_way = rows[-1] if rows and not rows[-1]["complete"] else None
    return Cards(month=complete[-1] if complete else None, so_far=under_way)


def _runner(request: Request) -> ReportRunner:
    return ReportRunner(request.app.state.engine, lake=Lake(request.app.state.settings.lake_path))


@router.get("/dashboard")
def dashboard(
    request: Request, principal: Annotated[Principal, require(Permission.REPORTS_VIEW)]
) -> Response:
    reports = dashboard_reports()
    stored = dict(zip(reports, _runner(request).stored(list(reports.values())), strict=True))
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
    kpi = stored["kpi"]
    return render(
        request,
        "dashboard.html",
        {
            "cards": cards_of(kpi) if kpi is not None else None,
            "pending": [name for name, table in stored.items() if table is None],
            "segments": segments,
            "zone": clock.operator_zone().key,
            "names": names,
        },
    )


@router.get("/dashboard/cards")
def dashboard_cards(
    request: Request, principal: Annotated[Principal, require(Permission.REPORTS_VIEW)]
) -> Response:
    """The cards alone, computing the KPIs if they are still missing: what the page loads after it."""
    return render(request, "_dashboard_cards.html", {"cards": cards_of(_runner(request).run(KpiQuery()))})
