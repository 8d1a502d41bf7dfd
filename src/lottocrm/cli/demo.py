"""``lottocrm demo``: what a new user runs right after installing — a full simulated operator to explore.

A plain sequence of steps so later features can add theirs (fit models, score players, open the web UI).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

import typer

from lottocrm.cli import db
from lottocrm.cli.context import load_settings, say
from lottocrm.cli.simulate import DEFAULT_PLAYERS, DEFAULT_SEED, report, simulate_into
from lottocrm.db.engine import get_engine
from lottocrm.lake.schemas import FACT_TABLES
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import SimulationResult

HOLDOUT_WEEKS = 26


def _describe_files(settings: Settings) -> None:
    lake = Lake(settings.lake_path)
    engine = get_engine(settings)
    say("files:")
    say(f"  operational store   {engine.url.render_as_string(hide_password=True)}")
    for table in FACT_TABLES:
        stats = lake.stats(table)
        size_mb = stats.bytes / 1e6
        say(f"  lake {table:<14} {stats.rows:>12,} rows in {stats.files:,} Parquet files, {size_mb:,.0f} MB")
    truth = settings.ground_truth_dir
    parts = len(list((truth / "players").glob("*.parquet")))
    say(f"  ground truth        {truth}/population.json and players/ ({parts} files)")


def _next_steps(result: SimulationResult) -> None:
    end = result.config.end
    calibration_end = end - dt.timedelta(weeks=HOLDOUT_WEEKS)
    holdout_end = end - dt.timedelta(days=1)
    say("try next:")
    say("  lottocrm report kpi                      KPIs by month")
    say("  lottocrm report sales-by-game            sales by game (see the December New Year draw)")
    say(f"  lottocrm clv fit --calibration-end {calibration_end} --holdout-end {holdout_end}")
    say("                                           fit BG/NBD and compare with ground-truth/population.json")
    say("  lottocrm lake stats                      what the fact lake holds")
    say("  lottocrm user create --help; lottocrm serve   then open http://127.0.0.1:8000")
    say("  docs/simulator.md                        how the data was generated, and every parameter")


def demo(
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Clear a data folder that already holds data, then run the demo."),
    ] = False,
) -> None:
    """Create the data folder and simulate the default operator (100 000 players), then show what to try."""
    started = time.monotonic()
    settings = load_settings()
    say("[bold]1. data folder[/]")
    db.init()
    say(f"[bold]2. simulating a lottery operator with {DEFAULT_PLAYERS:,} players[/]")
    config = SimulationConfig(players=DEFAULT_PLAYERS, seed=DEFAULT_SEED, end=dt.datetime.now(dt.UTC).date())
    result = simulate_into(settings, config, replace=replace)
    say("[bold]3. what was created[/]")
    report(result)
    _describe_files(settings)
    say(f"[bold]done in {time.monotonic() - started:,.0f} s[/]")
    _next_steps(result)
