"""The reports by name, as the API, the dashboard and ``lottocrm report`` ask for them, and how user
parameters become a validated query document."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.queries.base import ReportQuery, Source
from lottocrm.analytics.queries.cohorts import CohortsQuery
from lottocrm.analytics.queries.funnel import FunnelQuery
from lottocrm.analytics.queries.kpi import KpiQuery
from lottocrm.analytics.queries.sales_by import SalesQuery
from lottocrm.analytics.queries.segment_migration import SegmentMigrationQuery
from lottocrm.analytics.queries.segment_sizes import SegmentSizesQuery
from lottocrm.errors import NotFound

# Reports over the lake's tickets, each served at /api/v1/reports/<name>.
TICKET_REPORTS: dict[str, Callable[..., ReportQuery]] = {
    "kpi": KpiQuery,
    "cohorts": CohortsQuery,
    "funnel": FunnelQuery,
    "sales-by-game": partial(SalesQuery, by="game"),
    "sales-by-channel": partial(SalesQuery, by="channel"),
    "sales-by-region": partial(SalesQuery, by="region"),
}
# Reports over the player analytical record.
SEGMENT_REPORTS: dict[str, Callable[..., ReportQuery]] = {
    "segments/sizes": SegmentSizesQuery,
    "segments/migration": SegmentMigrationQuery,
}
REPORTS = {**TICKET_REPORTS, **SEGMENT_REPORTS}


class UnknownReport(NotFound):
    code = "unknown_report"


def _problem(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{where} is not a parameter of this report"
    message = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
    return f"{where}: {message}" if where else message


def report_query(name: str, **parameters: object) -> ReportQuery:
    """The document for report ``name`` with the given parameters (None: not given, the default)."""
    try:
        make = REPORTS[name]
    except KeyError:
        raise UnknownReport(f"unknown report {name!r}; reports: {', '.join(REPORTS)}") from None
    try:
        return make(**{key: value for key, value in parameters.items() if value is not None})
    except ValidationError as exc:
        raise AnalyticsInputError(f"report {name}: " + "; ".join(map(_problem, exc.errors()))) from None


def dashboard_reports() -> dict[str, ReportQuery]:
    """The documents the dashboard shows, by report name: every report with its default parameters."""
    return {name: make() for name, make in REPORTS.items()}


def reports_reading(*sources: Source) -> list[ReportQuery]:
    """The dashboard's documents that read any of ``sources``: what a change to them makes stale, and what
    the worker computes ahead of the next dashboard load."""
    return [query for query in dashboard_reports().values() if query.sources & set(sources)]
