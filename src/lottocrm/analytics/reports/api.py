"""Report data as JSON: what the dashboard's charts load and what machine clients may pull."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from lottocrm.analytics.reports.runner import REPORTS, UnknownReport, run_report
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.lake.store import Lake
from lottocrm.web.deps import require

router = APIRouter(prefix="/reports", tags=["reports"])


class ReportOut(BaseModel):
    name: str
    columns: list[str]
    rows: list[list[Any]]


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


@router.get("", response_model=list[str])
def report_names(principal: Annotated[Principal, require(Permission.REPORTS_VIEW)]) -> list[str]:
    return list(REPORTS)


@router.get("/{name}", response_model=ReportOut)
def report(
    request: Request, principal: Annotated[Principal, require(Permission.REPORTS_VIEW)], name: str
) -> ReportOut:
    """Aggregates only (no personal data), so reading a report is not written to the audit log."""
    settings = request.app.state.settings
    try:
        table = run_report(name, lake=Lake(settings.lake_path), engine=request.app.state.engine)
    except UnknownReport as exc:
        raise HTTPException(status_code=404, detail=str(exc.args[0])) from None
    rows = [[_json_value(v) for v in row.values()] for row in table.to_pylist()]
    return ReportOut(name=name, columns=table.column_names, rows=rows)
