"""``lottocrm report NAME [--csv]``: the dashboard's reports in the terminal or as CSV, with the same
parameters as the report API, validated by the same query documents."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from lottocrm.analytics.queries.registry import REPORTS, report_query
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.analytics.queries.segment_migration import compared
from lottocrm.cli.context import DB_NOT_READY, console, fail, load_settings
from lottocrm.db.engine import get_engine
from lottocrm.errors import ServiceError
from lottocrm.lake.store import Lake
from lottocrm.presentation.csv_export import write_csv

SALES = "(kpi, sales-by-*)"


def _option(name: str, help_text: str) -> object:
    return typer.Option(name, help=help_text)


def report(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(REPORTS)}.")],
    as_csv: Annotated[bool, typer.Option("--csv", help="Write CSV to stdout instead of a table.")] = False,
    since: Annotated[
        str | None, _option("--since", f"First operator day of sales counted, YYYY-MM-DD {SALES}.")
    ] = None,
    until: Annotated[
        str | None, _option("--until", f"Last operator day of sales counted, YYYY-MM-DD {SALES}.")
    ] = None,
    game: Annotated[str | None, _option("--game", f"Only this game id {SALES}.")] = None,
    channel: Annotated[
        str | None, _option("--channel", f"Only this sales channel, e.g. website {SALES}.")
    ] = None,
    region: Annotated[str | None, _option("--region", f"Only this region, e.g. RU-MOW {SALES}.")] = None,
    grain: Annotated[str | None, _option("--grain", "kpi: day, week or month (the default).")] = None,
    max_months: Annotated[
        str | None, _option("--max-months", "cohorts: months since registration shown (default 12).")
    ] = None,
) -> None:
    """Print a report: KPIs by month, cohort retention, funnel, or sales by game, channel or region."""
    settings = load_settings()
    try:
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
        table = ReportRunner(get_engine(settings), lake=Lake(settings.lake_path)).run(query)
    except ServiceError as exc:  # a bad parameter or an unknown report
        raise fail(exc.message) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None
    rows = table.to_pylist()
    if as_csv:
        write_csv(sys.stdout, table.column_names, ([row[c] for c in table.column_names] for row in rows))
        return
    dates = compared(table)  # only the segment migration carries the dates it compares
    shown = Table(title=f"{name}: {dates[0]} → {dates[1]}" if dates else name)
    for column in table.column_names:
        shown.add_column(column, justify="right" if column != "game" else "left")
    for row in rows:
        shown.add_row(*("" if row[c] is None else str(row[c]) for c in table.column_names))
    console.print(shown)
