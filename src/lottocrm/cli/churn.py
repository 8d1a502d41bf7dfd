"""``lottocrm churn …``: train, backtest and apply the churn model (heavy imports inside the commands, so
``lottocrm --help`` stays fast)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer

from lottocrm.audit.service import Actor
from lottocrm.cli.context import DB_NOT_READY, console, day_option, fail, load_settings, say, state

churn_app = typer.Typer(
    help="Churn model: who stops buying within a window, learnt with LightGBM.", no_args_is_help=True
)

WINDOW_HELP = "Churn window in days: churned = no purchase in this many days from the as-of date."


def _run(action):  # type: ignore[no-untyped-def]
    """Run a pipeline call, turning refused input and a missing schema into one error line."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from lottocrm.analytics.churn.pipeline import ChurnWorkspace
    from lottocrm.analytics.errors import AnalyticsInputError
    from lottocrm.db.engine import get_engine
    from lottocrm.simulator.ground_truth import PLAYERS_DIR

    settings = load_settings()
    # Simulated data leaves its truth beside the lake; reports compare the model with it when it is there.
    workspace = ChurnWorkspace.from_settings(
        settings, get_engine(settings), truth_players_dir=settings.ground_truth_dir / PLAYERS_DIR
    )
    try:
        return action(workspace)
    except AnalyticsInputError as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None


def _metrics_table(title: str, comparison: dict[str, Any]) -> None:
    from rich.table import Table

    shown = Table("", "ROC-AUC", "PR-AUC", "top-decile lift", "Brier", title=title)
    for name, label in (("model", "LightGBM"), ("recency_baseline", "recency only")):
        m = comparison[name]
        shown.add_row(
            label,
            f"{m['roc_auc']:.4f}",
            f"{m['pr_auc']:.4f}",
            f"{m['top_decile_lift']:.3f}",
            f"{m['brier']:.4f}",
        )
    console.print(shown)
    reliability = Table("decile", "players", "mean predicted", "observed", title="calibration (model)")
    for row in comparison["model"]["reliability"]:
        reliability.add_row(
            str(row["decile"]),
            str(row["players"]),
            f"{row['mean_predicted']:.3f}",
            f"{row['observed_rate']:.3f}",
        )
    console.print(reliability)
    verdict = "beats" if comparison["beats_baseline"] else "does NOT beat"
    say(f"the model {verdict} the recency-only baseline on ROC-AUC and PR-AUC")


def _truth_lines(report: dict[str, Any] | None) -> None:
    if report is None:
        say("no simulator ground truth in the data folder: truth comparison skipped")
        return
    aucs = ", ".join(
        f"{name} {value:.4f}" for name, value in report["auc_vs_dropped_out"].items() if value is not None
    )
    say(
        f"ground truth ({report['players_with_truth']} players, "
        f"{report['dropped_out_share']:.1%} really dropped out): AUC against dropped out — {aucs}"
    )
    say(
        f"oracle from the true parameters: ROC-AUC {report['oracle_roc_auc']:.4f}, "
        f"Brier {report['oracle_brier']:.4f}"
    )


def _show(result: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if not state.quiet:
        _metrics_table(title, result)
    _truth_lines(result["ground_truth"])


@churn_app.command("train")
def train(
    as_of: Annotated[
        dt.datetime, day_option("--as-of", "Training as-of date; its labels must be in the data.")
    ],
    window_days: Annotated[int, typer.Option("--window-days", help=WINDOW_HELP)] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Train a model at an as-of date (on 80 % of buyers, measured on the rest) and save it as a version."""
    from lottocrm.analytics.churn import pipeline

    manifest = _run(
        lambda ws: pipeline.train(ws, as_of=as_of.date(), window_days=window_days, actor=Actor.console())
    )
    if as_json:
        typer.echo(json.dumps(manifest, ensure_ascii=False, indent=2))
        return
    say(
        f"model {manifest['version']}: trained as of {manifest['training_as_of']} on "
        f"{manifest['training_rows']} players, {manifest['window_days']}-day window "
        f"(churn rate {manifest['training_churn_rate']:.1%})"
    )
    _show(manifest["metrics"], False, f"holdout: {manifest['holdout_rows']} players")


@churn_app.command("backtest")
def backtest(
    train_as_of: Annotated[dt.datetime, day_option("--train-as-of", "As-of date to train at.")],
    test_as_of: Annotated[
        dt.datetime, day_option("--test-as-of", "Later as-of date to evaluate at (≥ train as-of + window).")
    ],
    window_days: Annotated[int, typer.Option("--window-days", help=WINDOW_HELP)] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Time-based backtest: train at one date, score the players of a later date, compare with their fate."""
    from lottocrm.analytics.churn import pipeline

    report = _run(
        lambda ws: pipeline.backtest(
            ws, train_as_of=train_as_of.date(), test_as_of=test_as_of.date(), window_days=window_days
        )
    )
    if not as_json:
        say(
            f"trained as of {report['train_as_of']} on {report['training_rows']} players, "
            f"tested as of {report['test_as_of']} ({report['window_days']}-day window)"
        )
    _show(report, as_json, f"test as of {report['test_as_of']}: {report['model']['players']} players")


@churn_app.command("score")
def score(
    as_of: Annotated[dt.datetime, day_option("--as-of", "Score the players as of this date.")],
    model: Annotated[str | None, typer.Option("--model", help="Model version (default: the newest).")] = None,
) -> None:
    """Score every buyer with a saved model into churn_scores (rerunning a date and model replaces)."""
    from lottocrm.analytics.churn import pipeline

    result = _run(lambda ws: pipeline.score(ws, as_of=as_of.date(), version=model, actor=Actor.console()))
    bands = ", ".join(f"{name} {count}" for name, count in result["bands"].items())
    say(f"as of {result['as_of']}: {result['players']} players scored with model {result['model_version']}")
    say(f"  risk bands: {bands}")
    crossed = result["crossed"]
    if crossed is None:
        say("  high-risk crossings: not counted (this day or a later one was counted already)")
    else:
        say(f"  high-risk crossings: {crossed['entered']} entered, {crossed['left']} left")


@churn_app.command("models")
def models(
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifests as JSON.")] = False,
) -> None:
    """List saved churn models, oldest first."""
    from rich.table import Table

    from lottocrm.analytics.churn import artifacts

    found = artifacts.STORE.list_versions(artifacts.STORE.models_dir(load_settings().data_dir))
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        say("no churn model yet: train one with `lottocrm churn train --as-of DATE`")
        return
    shown = Table("version", "training as-of", "window", "rows", "holdout ROC-AUC", "baseline", "created")
    for manifest in found:
        metrics = manifest.get("metrics", {})
        shown.add_row(
            str(manifest["version"]),
            str(manifest.get("training_as_of")),
            f"{manifest.get('window_days')} d",
            str(manifest.get("training_rows")),
            f"{metrics.get('model', {}).get('roc_auc', float('nan')):.4f}",
            f"{metrics.get('recency_baseline', {}).get('roc_auc', float('nan')):.4f}",
            str(manifest.get("created_at")),
        )
    console.print(shown)
