"""``lottocrm clv …``: fit lifetime-value models on the lake's tickets, check them on a holdout, score.

The models (scipy, Ibis, DuckDB) are imported inside the commands: ``lottocrm --help`` loads every CLI module.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from lottocrm.cli.context import console, err_console, fail, load_settings, progress, say, state

if TYPE_CHECKING:
    from lottocrm.analytics.clv.holdout import HoldoutComparison

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


def _check_dates(
    *, calibration_end: dt.date, holdout_end: dt.date | None, first: dt.date, last: dt.date, today: dt.date
) -> None:
    if calibration_end > today:
        raise fail(f"calibration end {calibration_end} is in the future (today is {today})")
    if calibration_end < first:
        raise fail(
            f"calibration end {calibration_end} is before the first ticket of a registered player ({first})"
        )
    if holdout_end is None:
        return
    if holdout_end <= calibration_end:
        raise fail(f"holdout end {holdout_end} must be after the calibration end {calibration_end}")
    if holdout_end > today:
        raise fail(f"holdout end {holdout_end} is in the future (today is {today})")
    if holdout_end > last:
        err_console.print(
            f"[yellow]warning:[/] the last ticket is on {last}; purchases after it are counted as none, "
            "so the holdout's actual figures are understated",
            highlight=False,
        )


def _model_report(fit: Any, holdout: HoldoutComparison | None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "params": asdict(fit.params),
        "log_likelihood": fit.log_likelihood,
        "customers": fit.customers,
        "convergence": asdict(fit.convergence),
    }
    if holdout is not None:
        report["holdout"] = asdict(holdout)
    return report


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
    from lottocrm.analytics.clv import bgnbd, gammagamma, paretonbd
    from lottocrm.analytics.clv.holdout import compare
    from lottocrm.analytics.clv.predict import expected_spend, kopecks
    from lottocrm.analytics.clv.summary import LakeSummary, Transaction
    from lottocrm.analytics.errors import AnalyticsInputError
    from lottocrm.lake.store import Lake

    settings = load_settings()
    lake = Lake(settings.lake_path)
    if lake.row_count("tickets") == 0:
        raise fail(f"the lake at {settings.lake_path} holds no tickets: import or simulate some first")
    engine = LakeSummary(lake, timezone=settings.timezone, transaction=Transaction(transaction.value))
    span = engine.span()
    if span.first is None or span.last is None:
        raise fail("no ticket in the lake belongs to a registered player, so there is nobody to model")
    calibration = calibration_end.date()
    holdout_day = holdout_end.date() if holdout_end is not None else None
    _check_dates(
        calibration_end=calibration,
        holdout_end=holdout_day,
        first=span.first,
        last=span.last,
        today=dt.datetime.now(dt.UTC).date(),
    )
    weeks = (holdout_day - calibration).days / 7 if holdout_day is not None else None
    wanted = [("bgnbd", bgnbd.fit), ("pareto", paretonbd.fit)]
    wanted = [(name, fitter) for name, fitter in wanted if model in (ModelChoice.both, ModelChoice(name))]

    result: dict[str, Any] = {
        "calibration_end": calibration.isoformat(),
        "transaction": transaction.value,
        "holdout_end": holdout_day.isoformat() if holdout_day else None,
        "models": {},
    }
    try:
        with progress() as bar:
            task = bar.add_task("summarising tickets", total=2 + len(wanted))
            summary = engine.summarise(calibration_end=calibration, holdout_end=holdout_day)
            result["players"] = len(summary)
            result["repeat_buyers"] = int((summary["x"] > 0).sum())
            bar.advance(task)
            for name, fitter in wanted:
                bar.update(task, description=f"fitting {name}")
                fitted = fitter(x=summary["x"], t_x=summary["t_x"], T=summary["T"])
                holdout = compare(fitted.params, summary, weeks=weeks) if weeks is not None else None
                result["models"][name] = _model_report(fitted, holdout)
                bar.advance(task)
            bar.update(task, description="fitting gamma-gamma")
            spend = gammagamma.fit(x=summary["x"], monetary=summary["monetary"])
            mean_spend = expected_spend(spend.params, x=[0], monetary=[0])
            result["gamma_gamma"] = {
                "params": asdict(spend.params),
                "log_likelihood": spend.log_likelihood,
                "customers": spend.customers,
                "convergence": asdict(spend.convergence),
                "mean_spend_per_transaction_kopecks": int(kopecks(mean_spend)[0]),
            }
            bar.advance(task)
    except AnalyticsInputError as exc:
        raise fail(str(exc)) from None

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

    from lottocrm.analytics.clv.scoring import ScoreOptions, fit_and_score
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
