"""``lottocrm mart`` and ``lottocrm segments migration``: the player analytical record and its segments."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated

import pyarrow as pa
import typer
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from lottocrm.analytics.mart.build import MartInputError, MartOptions, mart_builder
from lottocrm.analytics.mart.segments import NOT_REGISTERED, SEGMENTS
from lottocrm.analytics.mart.writeback import replace_snapshot
from lottocrm.cli.context import console, fail, load_settings, progress, say, state
from lottocrm.db.engine import get_engine, transaction
from lottocrm.lake.store import Lake

segments_app = typer.Typer(help="Lifecycle segments: how players moved between them.", no_args_is_help=True)

DB_NOT_READY = "the operational database is not ready; run `lottocrm init` (or `lottocrm db upgrade`)"


def _day_option(name: str, help_text: str):  # type: ignore[no-untyped-def]
    return typer.Option(name, formats=["%Y-%m-%d"], help=help_text)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def mart(
    as_of: Annotated[dt.datetime, _day_option("--as-of", "The record describes everything before this day.")],
) -> None:
    """Build the player analytical record as of a date, write it back to the store and print segment sizes."""
    settings = load_settings()
    day = as_of.date()
    engine = get_engine(settings)
    try:
        with (
            progress() as bar,
            mart_builder(
                lake=Lake(settings.lake_path), engine=engine, options=MartOptions(timezone=settings.timezone)
            ) as builder,
        ):
            task = bar.add_task("building the mart", total=2)
            builder.check_as_of(day, today=_today())
            table = builder.build(day)
            bar.update(task, advance=1, description="writing player_analytics")
            with transaction(engine) as session:
                replace_snapshot(session, as_of=day, mart=table)
            bar.advance(task)
    except MartInputError as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None
    show_segment_sizes(day, table)


def show_segment_sizes(day: dt.date, mart: pa.Table) -> None:
    """How many players each lifecycle segment holds in a mart just written back (the demo prints it too)."""
    sizes = Counter(mart.column("segment").to_pylist())
    say(f"as of {day}: {mart.num_rows} players written to player_analytics")
    shown = Table("segment", "players", "share")
    for segment in SEGMENTS:
        shown.add_row(segment, str(sizes[segment]), f"{sizes[segment] / max(mart.num_rows, 1):.1%}")
    if not state.quiet:
        console.print(shown)


@segments_app.command("migration")
def migration(
    date_from: Annotated[dt.datetime, _day_option("--from", "The earlier as-of date.")],
    date_to: Annotated[dt.datetime, _day_option("--to", "The later as-of date.")],
) -> None:
    """How many players moved from each lifecycle segment to each other between two dates."""
    settings = load_settings()
    earlier, later = date_from.date(), date_to.date()
    if later <= earlier:
        raise fail(f"--to {later} must be after --from {earlier}")
    try:
        with mart_builder(
            lake=Lake(settings.lake_path),
            engine=get_engine(settings),
            options=MartOptions(timezone=settings.timezone),
        ) as builder:
            for day in (earlier, later):
                builder.check_as_of(day, today=_today())
            matrix = builder.migration(earlier, later).to_pylist()
    except MartInputError as exc:
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


def register(app: typer.Typer) -> None:
    app.command("mart")(mart)
    app.add_typer(segments_app, name="segments")
