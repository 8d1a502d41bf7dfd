"""``lottocrm mart``: build the player analytical record as of a date and write it back to the store.

Ibis and DuckDB are imported inside the command, so ``lottocrm mart --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from lottocrm.audit.service import Actor
from lottocrm.cli.context import DB_NOT_READY, console, day_option, fail, load_settings, progress, say, state
from lottocrm.db.engine import get_engine
from lottocrm.lake.store import Lake

if TYPE_CHECKING:
    import pyarrow as pa


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
    as_of: Annotated[dt.datetime, day_option("--as-of", "The record describes everything before this day.")],
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
    from lottocrm.analytics.mart.config import MartConfigError, mart_options
    from lottocrm.analytics.mart.pipeline import write_records

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
    try:
        with progress() as bar:
            task = bar.add_task("building the mart", total=2)

            def on_step(message: str) -> None:
                bar.update(task, completed=0 if message.startswith("building") else 1, description=message)

            written = write_records(
                get_engine(settings),
                actor=Actor.console(),
                lake=Lake(settings.lake_path),
                options=options,
                days=[day],
                on_step=on_step,
            )
            bar.update(task, completed=2)
    except (AnalyticsInputError, EngineError) as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None
    show_segment_sizes(day, written[day])


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
