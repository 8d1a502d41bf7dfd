"""``lottocrm propensity build``: game propensity and the next game to offer each player.

LightGBM and Ibis are imported inside the command, so ``lottocrm propensity --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from lottocrm.audit.service import Actor
from lottocrm.cli.context import DB_NOT_READY, console, day_option, fail, load_settings, progress, say, state

propensity_app = typer.Typer(
    help="Game propensity and the next game to offer each player.", no_args_is_help=True
)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@propensity_app.command("build")
def build(
    as_of: Annotated[dt.datetime, day_option("--as-of", "Score and offer as of this date.")],
    horizon_days: Annotated[
        int, typer.Option("--horizon-days", help="Propensity = probability to play within these many days.")
    ] = 30,
    offers: Annotated[int, typer.Option("--offers", min=1, max=20, help="Games to offer per player.")] = 3,
    min_support: Annotated[float, typer.Option("--min-support", help="Rules' minimum support.")] = 0.01,
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", help="Rules' minimum confidence.")
    ] = 0.1,
    window_days: Annotated[
        int,
        typer.Option(
            "--window-days", help="Rules' basket window: the games a player bought in these many days."
        ),
    ] = 90,
) -> None:
    """Train and check the propensity model, mine the rules, store propensities and next games per player."""
    from rich.table import Table
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from lottocrm.analytics.errors import AnalyticsInputError
    from lottocrm.analytics.extracts import game_codes
    from lottocrm.analytics.propensity.model import PropensityOptions
    from lottocrm.analytics.propensity.offers import game_label
    from lottocrm.analytics.propensity.pipeline import build_offers
    from lottocrm.analytics.rules.apriori import RuleOptions
    from lottocrm.db.engine import get_engine

    settings = load_settings()
    engine = get_engine(settings)
    steps = (
        "training the propensity model",
        "scoring players × games",
        "mining cross-sell rules",
        "ranking next games",
        "choosing first games for players without a purchase",
        "writing to the store",
    )
    try:
        options = PropensityOptions(horizon_days=horizon_days)
        rule_options = RuleOptions(
            min_support=min_support, min_confidence=min_confidence, window_days=window_days
        )
        codes = game_codes(engine)
        with progress() as bar:
            task = bar.add_task("propensity", total=len(steps))

            def on_step(message: str) -> None:
                bar.update(task, completed=steps.index(message), description=message)

            summary = build_offers(
                settings,
                engine,
                as_of.date(),
                actor=Actor.console(),
                options=options,
                rule_options=rule_options,
                offers=offers,
                on_step=on_step,
            )
            bar.update(task, completed=len(steps), description="done")
    except AnalyticsInputError as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None
    fit = summary.fit
    shown = Table(
        "game",
        "holdout rows",
        "played",
        "ROC-AUC model",
        "ROC-AUC played-before",
        title=f"holdout: features at {fit.holdout_as_of}, played in the next {fit.horizon_days} days "
        f"(trained at {fit.train_as_of})",
    )
    for metric in fit.per_game:
        shown.add_row(
            game_label(codes, metric.game_id),
            f"{metric.rows:,}",
            f"{metric.positives:,}",
            _pct(metric.auc),
            _pct(metric.baseline_auc),
        )
    shown.add_row("all games", f"{fit.holdout_rows:,}", "", _pct(fit.auc), _pct(fit.baseline_auc))
    if not state.quiet:
        console.print(shown)
    say(
        f"as of {summary.as_of}: {summary.players:,} players scored; {summary.rules.rules.num_rows:,} rules; "
        f"{summary.offer_rows:,} offers stored ({summary.boosted_offers:,} boosted by a rule, "
        f"{summary.first_game_offers:,} first games for players without a purchase)"
    )
