"""``lottocrm import KIND FILE``: one sub-command per kind, whose --help is that kind's file format."""

from __future__ import annotations

from pathlib import Path

import typer

from lottocrm.audit.service import Actor
from lottocrm.cli.context import err_console, fail, load_settings, progress, say, state
from lottocrm.db.engine import get_engine
from lottocrm.ingest.formats import render_kind
from lottocrm.ingest.kinds import KINDS
from lottocrm.ingest.report import ImportReport
from lottocrm.ingest.service import import_file
from lottocrm.ingest.spec import KindSpec
from lottocrm.lake.store import Lake

import_app = typer.Typer(
    help="Import players, identities, consents, games, draws, points of sale, tickets, wins or sessions "
    "from CSV (plain or .gz) or Parquet. Each kind's --help shows its columns; see docs/import-formats.md.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def _print(report: ImportReport) -> None:
    if report.ok:
        say(report.describe(), markup=False)
    else:
        err_console.print(report.describe(), highlight=False, markup=False, soft_wrap=True)


FILE_ARGUMENT = typer.Argument(..., help="CSV, CSV.gz or Parquet file")
QUARANTINE_OPTION = typer.Option(
    False, "--quarantine", help="Load the good rows; write the bad ones with their reasons to a file."
)
ENCODING_OPTION = typer.Option(
    None, "--encoding", help="Text encoding of a CSV file, e.g. cp1251 (default: detected)."
)


def _command(spec: KindSpec):  # type: ignore[no-untyped-def]
    def run(
        file: Path = FILE_ARGUMENT,
        quarantine: bool = QUARANTINE_OPTION,
        encoding: str | None = ENCODING_OPTION,
    ) -> None:
        settings = load_settings()
        with progress() as bar:
            task = bar.add_task(f"importing {spec.name}", total=None)

            def on_progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = import_file(
                actor=Actor.console(),
                kind=spec.name,
                path=file,
                engine=get_engine(settings),
                lake=Lake(settings.lake_path),
                quarantine=quarantine,
                encoding=encoding,
                settings=settings,
                on_progress=None if state.quiet else on_progress,
            )
        _print(report)
        if not report.ok:
            raise fail(
                f"{report.source}: import rejected; nothing was written", code=2 if report.file_error else 1
            )

    return run


for _spec in KINDS.values():
    import_app.command(
        _spec.name, help=render_kind(_spec, heading="###", as_list=True), short_help=_spec.summary
    )(_command(_spec))
