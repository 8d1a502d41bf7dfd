"""``lottocrm clv …``: fit lifetime-value models on the lake's tickets, check them on a holdout, score.

The models (scipy, Ibis, DuckDB) are imported inside the commands, so `lottocrm clv --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from lottocrm.audit.service import Actor
from lottocrm.cli.context import console, err_console, fail, load_settings, progress, say, state

clv_app = typer.Typer(
    help="Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma.", no_args_is_help=True
)


class ModelChoice(StrEnum):
    bgnbd = "bgnbd"
    pareto = "pareto"
    both = "both"


class ScoreModel(StrEnum):
    bgnbd = "bgnbd"
    pareto = "pareto"


class TransactionChoice(StrEnum):
    visit = "visit"
    day = "day"


TRANSACTION_HELP = (
    "What counts as one purchase: a visit (a player's tickets within one clock minute) or a whole local "
    "day (the CDNOW convention; undercounts players who buy twice a day)."
)


def _print_model(name: str, report: dict[str, Any]) -> None:
    params = ", ".join(f"{key} = {value:.4g}" for key, value in report["params"].items())
    say(f"[bold]{name}[/]  {params}")
    say(f"  log-likelihood {report['log_likelihood']:.1f} over {report['customers']} players")
    convergence = report["convergence"]
    if not convergence["converged"]:
        err_console.print(
            f"[yellow]warning:[/] {name} did not converge: {convergence['message']}", highlight=False
        )
    holdout = report.get("holdout")
    if holdout is None:
        return
    say(
        f"  holdout {holdout['weeks']:.1f} weeks: predicted {holdout['predicted_total']:.1f}, "
        f"actual {holdout['actual_total']} purchases"
    )
    table = Table("repeat purchases in calibration", "players", "predicted mean", "actual mean")
    for bucket in holdout["buckets"]:
        table.add_row(
            bucket["label"],
            str(bucket["customers"]),
            f"{bucket['predicted_mean']:.3f}",
            f"{bucket['actual_mean']:.3f}",
        )
    if not state.quiet:
        console.print(table)


@clv_app.command("fit")
def fit(
    calibration_end: Annotated[
        dt.datetime,
        typer.Option(
            "--calibration-end", formats=["%Y-%m-%d"], help="Last day (inclusive) of the fitting period."
        ),
    ],
    holdout_end: Annotated[
        dt.datetime | None,
        typer.Option(
            "--holdout-end", formats=["%Y-%m-%d"], help="Last day of a holdout to compare predictions with."
        ),
    ] = None,
    model: Annotated[
        ModelChoice, typer.Option("--model", help="Purchase model(s) to fit.")
    ] = ModelChoice.both,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document instead of tables.")
    ] = False,
    transaction: Annotated[
        TransactionChoice, typer.Option("--transaction", help=TRANSACTION_HELP)
    ] = TransactionChoice.visit,
) -> None:
    """Fit purchase and spend models on registered players' tickets and print parameters and fit."""
    from lottocrm.analytics.clv.pipeline import fit_report, fit_steps
    from lottocrm.analytics.clv.summary import Transaction
    from lottocrm.analytics.errors import AnalyticsInputError

    settings = load_settings()
    calibration = calibration_end.date()
    models = ["bgnbd", "pareto"] if model is ModelChoice.both else [model.value]
    steps = fit_steps(models)
    try:
        with progress() as bar:
            task = bar.add_task("fitting", total=len(steps))

            def on_step(message: str) -> None:
                bar.update(task, completed=steps.index(message), description=message)

            fitted = fit_report(
                settings,
                calibration,
                holdout_end=holdout_end.date() if holdout_end is not None else None,
                models=models,
                transaction=Transaction(transaction.value),
                on_step=on_step,
            )
            bar.update(task, completed=len(steps), description="done")
    except AnalyticsInputError as exc:
        raise fail(str(exc)) from None
    for warning in fitted.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    result = fitted.report
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    say(
        f"calibration to {calibration}: {result['players']} players, "
        f"{result['repeat_buyers']} with repeat purchases"
    )
    for name, report in result["models"].items():
        _print_model({"bgnbd": "BG/NBD", "pareto": "Pareto/NBD"}[name], report)
    gg = result["gamma_gamma"]
    say(
        f"[bold]Gamma-Gamma[/]  p = {gg['params']['p']:.4g}, q = {gg['params']['q']:.4g}, "
        f"γ = {gg['params']['gamma']:.4g} kopecks  ({gg['customers']} repeat buyers); "
        f"mean spend per transaction {gg['mean_spend_per_transaction_kopecks']} kopecks"
    )


@clv_app.command("score")
def score(
    calibration_end: Annotated[
        dt.datetime,
        typer.Option(
            "--calibration-end",
            formats=["%Y-%m-%d"],
            help="Last day (inclusive) of the history; the scores' as-of date.",
        ),
    ],
    horizon_days: Annotated[
        int, typer.Option("--horizon-days", help="Days ahead over which purchases and value are counted.")
    ] = 365,
    discount_rate: Annotated[
        float, typer.Option("--discount-rate", help="Annual discount rate for the value, e.g. 0.15.")
    ] = 0.15,
    model: Annotated[
        ScoreModel,
        typer.Option("--model", help="Purchase model; Pareto/NBD also lets one-off buyers lapse."),
    ] = ScoreModel.pareto,
    reuse_fit: Annotated[
        bool,
        typer.Option("--reuse-fit", help="Use the fit stored for this calibration end instead of refitting."),
    ] = False,
    transaction: Annotated[
        TransactionChoice, typer.Option("--transaction", help=TRANSACTION_HELP)
    ] = TransactionChoice.visit,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Score every player: P(alive), expected purchases, expected spend and discounted CLV into player_clv.

    Rerunning a calibration end replaces its scores.
    """
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from lottocrm.analytics.clv.pipeline import fit_and_score
    from lottocrm.analytics.clv.scoring import ScoreOptions
    from lottocrm.analytics.clv.summary import Transaction
    from lottocrm.analytics.errors import AnalyticsInputError
    from lottocrm.db.engine import get_engine

    settings = load_settings()
    options = ScoreOptions(horizon_days=horizon_days, discount_rate=discount_rate, model=model.value)
    try:
        options.check()
        with progress() as bar:
            bar.add_task("fitting and scoring", total=None)
            summary = fit_and_score(
                settings,
                get_engine(settings),
                calibration_end.date(),
                actor=Actor.console(),
                options=options,
                transaction=Transaction(transaction.value),
                reuse_fit=reuse_fit,
            )
    except AnalyticsInputError as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail("the database is not set up for CLV scores: run `lottocrm db upgrade` first") from None
    for warning in summary.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    report = asdict(summary)
    report["as_of"] = summary.as_of.isoformat()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    params = ", ".join(f"{key} = {value:.4g}" for key, value in summary.params.items())
    say(
        f"{summary.players} players scored as of {summary.as_of} with {summary.model} "
        f"({'stored fit' if summary.reused_fit else 'fitted now'}: {params})"
    )
    say(
        f"  horizon {summary.horizon_days} days at {summary.discount_rate:.1%} a year: "
        f"{summary.expected_purchases:,.0f} expected purchases, "
        f"CLV {summary.clv_kopecks / 100:,.2f} ₽ in all; "
        f"mean P(alive) {summary.mean_probability_alive:.1%}; {summary.seconds:.1f} s"
    )
