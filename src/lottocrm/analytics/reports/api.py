"""Report data as JSON: what the dashboard's charts load and what machine clients may pull."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from lottocrm.analytics.reports.runner import REPORTS, UnknownReport, run_report
from lottocrm.analytics.reports.segments import cached_latest_migration, segment_sizes
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


def _report_out(name: str, table: pa.Table) -> ReportOut:
    rows = [[_json_value(v) for v in row.values()] for row in table.to_pylist()]
    return ReportOut(name=name, columns=table.column_names, rows=rows)


@router.get("/segments/sizes", response_model=ReportOut)
def segments_sizes(
    request: Request, principal: Annotated[Principal, require(Permission.REPORTS_VIEW)]
) -> ReportOut:
    """Players per lifecycle segment and as-of date in player_analytics (empty before `lottocrm mart`)."""
    with request.app.state.engine.connect() as connection:
        return _report_out("segments/sizes", segment_sizes(connection))


class MigrationOut(ReportOut):
    earlier: dt.date | None
    later: dt.date | None


@router.get("/segments/migration", response_model=MigrationOut)
def segments_migration(
    request: Request, principal: Annotated[Principal, require(Permission.REPORTS_VIEW)]
) -> MigrationOut:
    """How players moved between segments from the second-latest to the latest as-of date."""
    dates, table = cached_latest_migration(request.app.state.engine)
    earlier, later = dates or (None, None)
    return MigrationOut(**_report_out("segments/migration", table).model_dump(), earlier=earlier, later=later)


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
    return _report_out(name, table)
