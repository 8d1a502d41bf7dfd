"""``lottocrm segments migration``: how players moved between lifecycle segments from one date to another.

Ibis and DuckDB are imported inside the command, so ``lottocrm segments --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from lottocrm.cli.context import DB_NOT_READY, console, day_option, fail, load_settings
from lottocrm.db.engine import get_engine
from lottocrm.lake.store import Lake

segments_app = typer.Typer(help="Lifecycle segments: how players moved between them.", no_args_is_help=True)


@segments_app.command("migration")
def migration(
    date_from: Annotated[dt.datetime, day_option("--from", "The earlier as-of date.")],
    date_to: Annotated[dt.datetime, day_option("--to", "The later as-of date.")],
) -> None:
    """How many players moved from each lifecycle segment to each other between two dates."""
    from lottocrm.analytics.errors import AnalyticsInputError
    from lottocrm.analytics.mart.pipeline import migration_between
    from lottocrm.analytics.mart.segments import NOT_REGISTERED, SEGMENTS

    settings = load_settings()
    earlier, later = date_from.date(), date_to.date()
    try:
        matrix = migration_between(
            get_engine(settings),
            lake=Lake(settings.lake_path),
            timezone=settings.timezone,
            earlier=earlier,
            later=later,
        ).to_pylist()
    except AnalyticsInputError as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None

    # One line per (from, to) pair rather than a 9 × 8 grid, so it stays readable in a narrow terminal.
    order = {segment: place for place, segment in enumerate((NOT_REGISTERED, *SEGMENTS))}
    leaving = Counter[str]()
    for row in matrix:
        leaving[row["from_segment"]] += row["players"]
    shown = Table("from", "to", "players", "share of from", title=f"segments {earlier} → {later}")
    for row in sorted(matrix, key=lambda r: (order[r["from_segment"]], order[r["to_segment"]])):
        share = row["players"] / leaving[row["from_segment"]]
        shown.add_row(row["from_segment"], row["to_segment"], str(row["players"]), f"{share:.1%}")
    console.print(shown)
