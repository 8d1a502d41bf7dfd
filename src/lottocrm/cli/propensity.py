"""``lottocrm rules``, ``propensity build`` and ``clusters fit``: cross-sell and micro-segments.

Heavy imports (Ibis, LightGBM, scikit-learn) stay inside the commands: ``lottocrm --help`` loads this module.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from typing import Annotated

import typer

from lottocrm.cli.context import console, fail, load_settings, progress, say, state

propensity_app = typer.Typer(
    help="Game propensity and the next game to offer each player.", no_args_is_help=True
)
clusters_app = typer.Typer(help="Gaussian-mixture micro-segments of players.", no_args_is_help=True)

DB_NOT_READY = "the operational database is not ready; run `lottocrm init` (or `lottocrm db upgrade`)"


def _day_option(name: str, help_text: str):  # type: ignore[no-untyped-def]
    return typer.Option(name, formats=["%Y-%m-%d"], help=help_text)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _profile_text(means: dict[str, float]) -> str:
    """A cluster's feature means as one readable line: days, purchase days, roubles, shares."""
    rub = {
        name: f"{means[name] / 100:,.0f} ₽"
        for name in ("monetary_kopecks", "average_check_kopecks", "spend_90d_kopecks")
    }
    return (
        f"last purchase {means['recency_days']:.0f} d ago, tenure {means['tenure_days']:.0f} d, "
        f"{means['frequency']:.1f} purchase days, spend {rub['monetary_kopecks']} "
        f"(check {rub['average_check_kopecks']}, last 90 d {rub['spend_90d_kopecks']}), "
        f"draws {means['draw_share']:.0%}, favourite game {means['favourite_game_share']:.0%}"
    )


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
        _day_option(
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
    from lottocrm.analytics.lake_compute import LakeCompute
    from lottocrm.analytics.propensity.offers import game_label
    from lottocrm.analytics.propensity.service import game_codes
    from lottocrm.analytics.rules.apriori import RuleOptions, mine_rules
    from lottocrm.db.engine import get_engine
    from lottocrm.lake.store import Lake

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
        with LakeCompute(Lake(settings.lake_path), timezone=settings.timezone, engine=engine_name) as compute:
            day = as_of.date() if as_of else compute.last_sale_day()
            result = mine_rules(compute, as_of=day, options=options)
    except (AnalyticsInputError, EngineError) as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None

    def names(games: list[int]) -> str:
        return " + ".join(game_label(codes, g) for g in games)

    found = result.rules.to_pylist()
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["antecedent", "consequent", "players", "support", "confidence", "lift"])
        for rule in found:
            writer.writerow(
                [
                    names(rule["antecedent"]),
                    names(rule["consequent"]),
                    rule["players"],
                    f"{rule['support']:.6f}",
                    f"{rule['confidence']:.6f}",
                    f"{rule['lift']:.6f}",
                ]
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


@propensity_app.command("build")
def build(
    as_of: Annotated[dt.datetime, _day_option("--as-of", "Score and offer as of this date.")],
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
    from lottocrm.analytics.propensity.model import PropensityOptions
    from lottocrm.analytics.propensity.offers import game_label
    from lottocrm.analytics.propensity.service import build_offers, game_codes
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


@clusters_app.command("fit")
def fit_clusters(
    as_of: Annotated[dt.datetime, _day_option("--as-of", "Cluster the analytical record as of this date.")],
    max_k: Annotated[int, typer.Option("--max-k", help="Largest number of clusters tried (from 2).")] = 10,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", min=0, help="Random seed of EM's starts and of the jitter dequantising the data."
        ),
    ] = 0,
) -> None:
    """Gaussian-mixture micro-segments: BIC for each k, the chosen k's profiles; stored per player."""
    from rich.table import Table
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from lottocrm.analytics.clusters.gmm import PARSIMONY_NATS, ClusterOptions
    from lottocrm.analytics.clusters.service import build_clusters
    from lottocrm.analytics.errors import AnalyticsInputError
    from lottocrm.db.engine import get_engine

    settings = load_settings()
    try:
        options = ClusterOptions(max_k=max_k, seed=seed)
        with progress() as bar:
            # One step per EM fit: k = 2..max_k for each covariance type.
            task = bar.add_task("building the record, then fitting mixtures", total=2 * (max_k - 1))

            def fitted(kind: str, k: int) -> None:
                bar.update(task, advance=1, description=f"fitted k = {k}, {kind} covariance")

            result = build_clusters(
                settings,
                get_engine(settings),
                as_of.date(),
                options=options,
                today=dt.datetime.now(dt.UTC).date(),
                on_fit=fitted,
            )
    except AnalyticsInputError as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None
    choice = result.choice
    lowest = min(choice.bic[choice.covariance].values())
    bic = Table(
        "k",
        *(f"BIC {kind}" for kind in choice.bic),
        "over lowest, nats/player",
        "EM s",
        title=f"BIC by number of clusters, EM on {choice.players:,} players",
    )
    for k, chosen_bic in choice.bic[choice.covariance].items():
        bic.add_row(
            f"{k}{' ←' if k == result.k else ''}",
            *(f"{curve[k]:,.0f}" for curve in choice.bic.values()),
            f"{(chosen_bic - lowest) / (2 * choice.players):.3f}",
            f"{sum(seconds[k] for seconds in choice.seconds.values()):.1f}",
        )
    profiles = Table(
        "cluster", "players", "share", "label", "mean profile", title=f"{result.k} micro-segments"
    )
    for p in result.profiles:
        profiles.add_row(str(p.cluster), f"{p.players:,}", f"{p.share:.1%}", p.label, _profile_text(p.means))
    console.print(bic)
    say(
        f"chosen: {result.covariance} covariance, the smallest k within {PARSIMONY_NATS} nats per player "
        "of the lowest BIC"
    )
    if min(choice.bic[choice.covariance], key=choice.bic[choice.covariance].get) == max(result.bic_by_k):
        say(f"BIC is lowest at the largest k tried ({max(result.bic_by_k)}): a larger --max-k may find more")
    console.print(profiles)
    say(f"as of {as_of.date()}: {result.assignments.num_rows:,} players in {result.k} clusters stored")


def register(app: typer.Typer) -> None:
    app.command("rules")(rules)
    app.add_typer(propensity_app, name="propensity")
    app.add_typer(clusters_app, name="clusters")
