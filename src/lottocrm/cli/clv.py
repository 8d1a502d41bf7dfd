"""``lottocrm clv …``: fit lifetime-value models on the lake's tickets and check them on a holdout."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from lottocrm.analytics.clv import bgnbd, gammagamma, paretonbd
from lottocrm.analytics.clv.errors import ClvDataError
from lottocrm.analytics.clv.holdout import HoldoutComparison, compare
from lottocrm.analytics.clv.predict import expected_spend, kopecks
from lottocrm.analytics.clv.summary import LakeSummary
from lottocrm.cli.context import console, err_console, fail, load_settings, progress, say, state
from lottocrm.lake.store import Lake

clv_app = typer.Typer(
    help="Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma.", no_args_is_help=True
)


class ModelChoice(StrEnum):
    bgnbd = "bgnbd"
    pareto = "pareto"
    both = "both"


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


def _model_report(
    fit: bgnbd.BgNbdFit | paretonbd.ParetoNbdFit, holdout: HoldoutComparison | None
) -> dict[str, Any]:
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
) -> None:
    """Fit purchase and spend models on registered players' tickets and print parameters and fit."""
    settings = load_settings()
    lake = Lake(settings.lake_path)
    if lake.row_count("tickets") == 0:
        raise fail(f"the lake at {settings.lake_path} holds no tickets: import or simulate some first")
    engine = LakeSummary(lake, timezone=settings.timezone)
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
    except ClvDataError as exc:
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
