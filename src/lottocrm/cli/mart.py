"""``lottocrm mart`` and ``lottocrm segments migration``: the player analytical record and its segments."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from lottocrm.cli.context import console, fail, load_settings, progress, say, state
from lottocrm.db.engine import get_engine, transaction
from lottocrm.lake.store import Lake

if TYPE_CHECKING:
    import pyarrow as pa

segments_app = typer.Typer(help="Lifecycle segments: how players moved between them.", no_args_is_help=True)

DB_NOT_READY = "the operational database is not ready; run `lottocrm init` (or `lottocrm db upgrade`)"


def _day_option(name: str, help_text: str):  # type: ignore[no-untyped-def]
    return typer.Option(name, formats=["%Y-%m-%d"], help=help_text)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class EngineChoice(StrEnum):
    duckdb = "duckdb"
    pyspark = "pyspark"


class RfmMode(StrEnum):
    quantile = "quantile"
    thresholds = "thresholds"


THRESHOLD_HELP = (
    "NAME=VALUE, repeatable. Lifecycle: new_days, active_days, at_risk_days, sleeping_days, churned_days "
    "(days since the last purchase, increasing), vip_spend_90d_kopecks. RFM cut points for --rfm-mode "
    "thresholds, ascending and comma-separated: rfm_recency_days, rfm_frequency, rfm_monetary_kopecks "
    "(e.g. rfm_recency_days=30,90,365)."
)


def mart(
    as_of: Annotated[dt.datetime, _day_option("--as-of", "The record describes everything before this day.")],
    threshold: Annotated[list[str] | None, typer.Option("--threshold", help=THRESHOLD_HELP)] = None,
    rfm_mode: Annotated[
        RfmMode, typer.Option("--rfm-mode", help="RFM levels by quantile among buyers or by cut points.")
    ] = RfmMode.quantile,
    rfm_levels: Annotated[
        int | None, typer.Option("--rfm-levels", help="Levels per RFM axis, 3–5 (default 5).")
    ] = None,
    engine_name: Annotated[
        EngineChoice, typer.Option("--engine", help="Run the mart on DuckDB or on local PySpark.")
    ] = EngineChoice.duckdb,
) -> None:
    """Build the player analytical record as of a date, write it back to the store and print segment sizes."""
    from lottocrm.analytics.engine import EngineError
    from lottocrm.analytics.errors import AnalyticsInputError
    from lottocrm.analytics.mart.build import mart_builder
    from lottocrm.analytics.mart.config import MartConfigError, mart_options
    from lottocrm.analytics.mart.writeback import replace_snapshot

    settings = load_settings()
    day = as_of.date()
    try:
        options = mart_options(
            timezone=settings.timezone,
            thresholds=threshold,
            rfm_mode=rfm_mode.value,
            rfm_levels=rfm_levels,
            engine=engine_name.value,
        )
    except MartConfigError as exc:
        raise fail(str(exc)) from None
    engine = get_engine(settings)
    try:
        with (
            progress() as bar,
            mart_builder(lake=Lake(settings.lake_path), engine=engine, options=options) as builder,
        ):
            task = bar.add_task("building the mart", total=2)
            builder.check_as_of(day, today=_today())
            table = builder.build(day)
            bar.update(task, advance=1, description="writing player_analytics")
            with transaction(engine) as session:
                replace_snapshot(session, as_of=day, mart=table)
            bar.advance(task)
    except (AnalyticsInputError, EngineError) as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None
    show_segment_sizes(day, table)


def show_segment_sizes(day: dt.date, mart: pa.Table) -> None:
    """How many players each lifecycle segment holds in a mart just written back (the demo prints it too)."""
    from lottocrm.analytics.mart.segments import SEGMENTS  # Ibis: imported only when a mart is shown

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
    from lottocrm.analytics.errors import AnalyticsInputError
    from lottocrm.analytics.mart.build import MartOptions, mart_builder

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
    except AnalyticsInputError as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None
    from lottocrm.analytics.mart.segments import NOT_REGISTERED, SEGMENTS

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
