"""``lottocrm campaign results ID``, ``lottocrm campaign holdout --month YYYY-MM`` and ``lottocrm campaign
import FILE``: campaign results with intervals, the global holdout's monthly report, and campaign history
brought over from another system."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lottocrm.audit.service import Actor
from lottocrm.cli.context import console, err_console, fail, load_settings, progress, say, state
from lottocrm.db.engine import get_engine, transaction
from lottocrm.ingest.formats import render_kind
from lottocrm.lake.store import Lake
from lottocrm.marketing.history.spec import SPEC

campaign_app = typer.Typer(
    help="Campaigns: results with confidence intervals, the global holdout's month, and history imported "
    "from another system.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@campaign_app.command("results")
def results(
    campaign_id: Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The campaign's id")],
    run: Annotated[
        int | None, typer.Option("--run", min=1, max=2**63 - 1, help="One run only (default: all runs)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result as JSON")] = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write per-arm and per-segment figures to this CSV file")
    ] = None,
) -> None:
    """Results of a campaign: per arm, lifts with 95 % intervals, sample-ratio check, CUPED, segments."""
    from lottocrm.marketing.reporting.export import write_csv
    from lottocrm.marketing.reporting.service import campaign_results
    from lottocrm.marketing.reporting.text import summary_lines

    settings = load_settings()
    with transaction(get_engine(settings)) as session:
        found = campaign_results(session, campaign_id=campaign_id, run_id=run, lake=Lake(settings.lake_path))
    if csv_file is not None:
        try:
            write_csv(found, csv_file)
        except OSError as error:
            raise fail(f"cannot write {csv_file}: {error.strerror or error}") from None
    if as_json:
        console.print_json(json.dumps(found.to_dict(), ensure_ascii=False))
        return
    title, arms, lines = summary_lines(found)
    table = Table(*arms[0], title=title)
    for row in arms[1:]:
        table.add_row(*row)
    console.print(table)
    for line in lines:
        console.print(line, highlight=False, markup=False)
    if csv_file is not None:
        say(f"figures written to {csv_file}", markup=False)


@campaign_app.command("holdout")
def holdout(
    month: Annotated[str, typer.Option("--month", help="The operator's month, YYYY-MM, e.g. 2026-11")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as JSON")] = False,
) -> None:
    """The global holdout's month: its players against everyone else registered, response and spend per
    player with 95 % intervals, and the incremental revenue of all marketing (month and year to date)."""
    from lottocrm.marketing.reporting.holdout import holdout_report
    from lottocrm.marketing.reporting.text import holdout_lines

    settings = load_settings()
    with transaction(get_engine(settings)) as session:
        found = holdout_report(session, lake=Lake(settings.lake_path), month=month)
    if as_json:
        console.print_json(json.dumps(found.to_dict(), ensure_ascii=False))
        return
    title, groups, lines = holdout_lines(found)
    table = Table(*groups[0], title=title)
    for row in groups[1:]:
        table.add_row(*row)
    console.print(table)
    for line in lines:
        console.print(line, highlight=False, markup=False)


@campaign_app.command(
    "import",
    help=(
        "Import campaign contact and response history: one imported campaign per code, all or nothing "
        "(docs/campaign-results.md).\n\n" + render_kind(SPEC, heading="###", as_list=True)
    ),
    short_help="Import campaign contact and response history (revenue in kopecks), all or nothing.",
)
def import_history_file(
    file: Annotated[Path, typer.Argument(help="CSV, CSV.gz or Parquet file of campaign history")],
    control_share: Annotated[
        float | None,
        typer.Option(
            "--control-share",
            min=0.0,
            max=1.0,
            help="The share each campaign held out as its control, if known (for the sample-ratio check)",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Text encoding of a CSV file, e.g. cp1251 (default: detected)"),
    ] = None,
) -> None:
    from lottocrm.marketing.history.service import import_history

    settings = load_settings()
    with progress() as bar, transaction(get_engine(settings)) as session:
        task = bar.add_task("importing campaign history", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = import_history(
            session,
            actor=Actor.console(),
            path=file,
            lake=Lake(settings.lake_path),
            control_share=control_share,
            encoding=encoding,
            settings=settings,
            on_progress=None if state.quiet else on_progress,
        )
    report = result.report
    if not report.ok:
        err_console.print(report.describe(), highlight=False, markup=False, soft_wrap=True)
        raise fail(
            f"{report.source}: import rejected; nothing was written", code=2 if report.file_error else 1
        )
    say(report.describe(), markup=False)


def _boosts() -> typer.Typer:
    from lottocrm.cli.campaign_boosts import boost_app

    return boost_app


campaign_app.add_typer(_boosts(), name="boost")
