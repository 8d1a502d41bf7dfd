"""Report data as JSON: what the dashboard's charts load and what machine clients may pull.

Parameters arrive as text and are validated by the report's query document, so every bad value is a 400
naming the parameter (through :class:`~lottocrm.analytics.errors.AnalyticsInputError`), the same refusal
``lottocrm report`` prints.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from lottocrm.analytics.queries.registry import TICKET_REPORTS, report_query
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.analytics.queries.segment_migration import SegmentMigrationQuery, compared
from lottocrm.analytics.queries.segment_sizes import SegmentSizesQuery
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.lake.store import Lake
from lottocrm.web.deps import require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/reports", tags=["reports"], responses=API_ERRORS)


class ReportOut(BaseModel):
    name: str
    columns: list[str]
    rows: list[list[Any]]


class MigrationOut(ReportOut):
    earlier: dt.date | None
    later: dt.date | None


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _report_out(name: str, table: pa.Table) -> ReportOut:
    rows = [[_json_value(v) for v in row.values()] for row in table.to_pylist()]
    return ReportOut(name=name, columns=table.column_names, rows=rows)


def _runner(request: Request) -> ReportRunner:
    return ReportRunner(request.app.state.engine, lake=Lake(request.app.state.settings.lake_path))


@router.get("", response_model=list[str])
def report_names(principal: Annotated[Principal, require(Permission.REPORTS_VIEW)]) -> list[str]:
    """The reports served at /reports/{name} (the segment reports have their own paths)."""
    return list(TICKET_REPORTS)


@router.get("/segments/sizes", response_model=ReportOut)
def segments_sizes(
    request: Request, principal: Annotated[Principal, require(Permission.REPORTS_VIEW)]
) -> ReportOut:
    """Players per lifecycle segment and as-of date in player_analytics (empty before `lottocrm mart`)."""
    return _report_out("segments/sizes", _runner(request).run(SegmentSizesQuery()))


@router.get("/segments/migration", response_model=MigrationOut)
def segments_migration(
    request: Request, principal: Annotated[Principal, require(Permission.REPORTS_VIEW)]
) -> MigrationOut:
    """How players moved between segments from the second-latest to the latest as-of date."""
    table = _runner(request).run(SegmentMigrationQuery())
    earlier, later = compared(table) or (None, None)
    return MigrationOut(**_report_out("segments/migration", table).model_dump(), earlier=earlier, later=later)


def _text(description: str) -> Any:
    return Query(description=description)


@router.get("/{name}", response_model=ReportOut)
def report(
    request: Request,
    principal: Annotated[Principal, require(Permission.REPORTS_VIEW)],
    name: str,
    since: Annotated[
        str | None, _text("First operator day of sales counted, YYYY-MM-DD (kpi, sales-by-*).")
    ] = None,
    until: Annotated[
        str | None, _text("Last operator day of sales counted, YYYY-MM-DD (kpi, sales-by-*).")
    ] = None,
    game: Annotated[str | None, _text("Only this game id (kpi, sales-by-*).")] = None,
    channel: Annotated[str | None, _text("Only this sales channel, e.g. website (kpi, sales-by-*).")] = None,
    region: Annotated[str | None, _text("Only this region, e.g. RU-MOW (kpi, sales-by-*).")] = None,
    grain: Annotated[str | None, _text("kpi: day, week or month (the default).")] = None,
    max_months: Annotated[str | None, _text("cohorts: months since registration shown (default 12).")] = None,
) -> ReportOut:
    """Aggregates only (no personal data), so reading a report is not written to the audit log."""
    query = report_query(
        name,
        since=since,
        until=until,
        game=game,
        channel=channel,
        region=region,
        grain=grain,
        max_months=max_months,
    )
    return _report_out(name, _runner(request).run(query))
