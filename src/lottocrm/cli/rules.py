"""``lottocrm rules``: association rules between games over player baskets.

Ibis and DuckDB are imported inside the command, so ``lottocrm rules --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer

from lottocrm.cli.context import DB_NOT_READY, console, day_option, fail, load_settings, say
from lottocrm.presentation.csv_export import write_csv


def rules(
    min_support: Annotated[
        float,
        typer.Option("--min-support", help="Smallest share of baskets a game set must appear in, (0, 1]."),
    ],
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", help="Smallest confidence of a rule, [0, 1].")
    ],
    as_of: Annotated[
        dt.datetime | None,
        day_option(
            "--as-of", "Baskets end the day before this date. Default: the day after the last ticket."
        ),
    ] = None,
    window_days: Annotated[
        int, typer.Option("--window-days", help="A basket is the games a player bought in these many days.")
    ] = 90,
    max_length: Annotated[
        int | None, typer.Option("--max-length", help="Largest game set to look for. Default: no limit.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Rules shown in the table (CSV has all).")
    ] = 30,
    as_csv: Annotated[bool, typer.Option("--csv", help="Write every rule as CSV to stdout.")] = False,
    engine_name: Annotated[
        str,
        typer.Option(
            "--engine", help="duckdb (default) or pyspark (local Spark over the same Parquet files)."
        ),
    ] = "duckdb",
) -> None:
    """Association rules between games over player baskets: support, confidence and lift (Apriori)."""
    from rich.table import Table
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from lottocrm.analytics.engine import ENGINES, EngineError
    from lottocrm.analytics.errors import AnalyticsInputError
    from lottocrm.analytics.extracts import game_codes
    from lottocrm.analytics.propensity.offers import game_label
    from lottocrm.analytics.rules.apriori import RuleOptions
    from lottocrm.analytics.rules.pipeline import mine
    from lottocrm.db.engine import get_engine

    settings = load_settings()
    if engine_name not in ENGINES:
        raise fail(f"--engine must be one of {', '.join(ENGINES)}, got {engine_name!r}")
    try:
        options = RuleOptions(
            min_support=min_support,
            min_confidence=min_confidence,
            window_days=window_days,
            max_length=max_length,
        )
        codes = game_codes(get_engine(settings))
        result = mine(settings, options=options, as_of=as_of.date() if as_of else None, engine=engine_name)
    except (AnalyticsInputError, EngineError) as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None

    def names(games: list[int]) -> str:
        return " + ".join(game_label(codes, g) for g in games)

    found = result.rules.to_pylist()
    if as_csv:
        write_csv(
            sys.stdout,
            ["antecedent", "consequent", "players", "support", "confidence", "lift"],
            (
                [
                    names(rule["antecedent"]),
                    names(rule["consequent"]),
                    rule["players"],
                    f"{rule['support']:.6f}",
                    f"{rule['confidence']:.6f}",
                    f"{rule['lift']:.6f}",
                ]
                for rule in found
            ),
        )
        return
    say(
        f"baskets: {result.baskets:,} players with a ticket in {result.window_days} days "
        f"before {result.as_of}; min support {min_support} = {result.min_count:,} baskets"
    )
    for level in result.levels:
        say(f"  sets of {level.size}: {level.candidates:,} candidates, {level.frequent:,} frequent")
    shown = Table("if a player plays", "they also play", "players", "support", "confidence", "lift")
    for rule in found[:limit]:
        shown.add_row(
            names(rule["antecedent"]),
            names(rule["consequent"]),
            f"{rule['players']:,}",
            f"{rule['support']:.3f}",
            f"{rule['confidence']:.3f}",
            f"{rule['lift']:.2f}",
        )
    console.print(shown)
    say(f"{len(found):,} rules (by lift); --csv writes them all")
