"""``lottocrm report NAME [--csv]``: the dashboard's reports in the terminal or as CSV."""

from __future__ import annotations

import csv
import sys

import typer
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from lottocrm.analytics.reports.runner import REPORTS, UnknownReport, run_report
from lottocrm.cli.context import DB_NOT_READY, console, fail, load_settings
from lottocrm.db.engine import get_engine
from lottocrm.lake.store import Lake


def report(
    name: str = typer.Argument(..., help=f"One of: {', '.join(REPORTS)}."),
    as_csv: bool = typer.Option(False, "--csv", help="Write CSV to stdout instead of a table."),
) -> None:
    """Print a report: KPIs by month, cohort retention, funnel, or sales by game, channel or region."""
    settings = load_settings()
    try:
        table = run_report(name, lake=Lake(settings.lake_path), engine=get_engine(settings))
    except UnknownReport as exc:
        raise fail(str(exc.args[0])) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None
    rows = table.to_pylist()
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(table.column_names)
        writer.writerows([row[c] for c in table.column_names] for row in rows)
        return
    shown = Table(title=name)
    for column in table.column_names:
        shown.add_column(column, justify="right" if column != "game" else "left")
    for row in rows:
        shown.add_row(*("" if row[c] is None else str(row[c]) for c in table.column_names))
    console.print(shown)
