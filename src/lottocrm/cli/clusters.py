"""``lottocrm clusters fit``: Gaussian-mixture micro-segments of players.

scikit-learn and Ibis are imported inside the command, so ``lottocrm clusters --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from lottocrm.audit.service import Actor
from lottocrm.cli.context import DB_NOT_READY, console, day_option, fail, load_settings, progress, say

clusters_app = typer.Typer(help="Gaussian-mixture micro-segments of players.", no_args_is_help=True)


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


@clusters_app.command("fit")
def fit_clusters(
    as_of: Annotated[dt.datetime, day_option("--as-of", "Cluster the analytical record as of this date.")],
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
    from lottocrm.analytics.clusters.pipeline import build_clusters
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
                actor=Actor.console(),
                options=options,
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
