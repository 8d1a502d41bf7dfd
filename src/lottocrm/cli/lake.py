"""``lottocrm lake stats|compact|vacuum``: inspect and maintain the Parquet fact lake."""

from __future__ import annotations

import typer
from rich.table import Table

from lottocrm.audit.service import Actor
from lottocrm.cli.context import console, fail, load_settings, say, state
from lottocrm.db.engine import get_engine
from lottocrm.lake import maintenance
from lottocrm.lake.schemas import FACT_TABLES
from lottocrm.lake.store import Lake, LakeError

lake_app = typer.Typer(help="Inspect, compact and clean the fact lake.", no_args_is_help=True)

TABLE_ARGUMENT = typer.Argument(None, help=f"Fact table ({', '.join(FACT_TABLES)}); default: all of them.")


def _lake_and_tables(table: str | None) -> tuple[Lake, list[str]]:
    lake = Lake(load_settings().lake_path)
    if table is not None and table not in FACT_TABLES:
        raise fail(f"unknown lake table {table!r}; known: {', '.join(FACT_TABLES)}")
    return lake, [table] if table else list(FACT_TABLES)


@lake_app.command("stats")
def stats(table: str | None = TABLE_ARGUMENT) -> None:
    """Rows, files, bytes, batches and months of each fact table, and files no batch lists (orphans)."""
    lake, tables = _lake_and_tables(table)
    view = Table("table", "rows", "files", "MB", "batches", "superseded", "months", "orphans")
    for name in tables:
        s = lake.stats(name)
        span = f"{s.months[0]} … {s.months[-1]} ({len(s.months)})" if s.months else "—"
        view.add_row(
            name,
            f"{s.rows:,}",
            str(s.files),
            f"{s.bytes / 1e6:,.1f}",
            str(s.live_batches),
            str(s.superseded_batches),
            span,
            str(s.orphan_files),
        )
    if state.quiet:
        for name in tables:
            typer.echo(f"{name}\t{lake.stats(name).rows}")
    else:
        console.print(view)


@lake_app.command("compact")
def compact(
    table: str | None = TABLE_ARGUMENT,
    target_rows: int = typer.Option(5_000_000, "--target-rows", min=1_000, help="Rows per merged file."),
) -> None:
    """Merge many small batches into few large files per month (readers keep working meanwhile)."""
    lake, tables = _lake_and_tables(table)
    engine = get_engine(load_settings())
    for name in tables:
        try:
            record = maintenance.compact(
                lake, engine=engine, actor=Actor.console(), table=name, target_rows=target_rows
            )
        except LakeError as exc:
            raise fail(str(exc)) from None
        if record is None:
            say(f"{name}: nothing to compact")
        else:
            merged = len(record.supersedes)
            say(f"{name}: merged {merged} batches into {len(record.files)} file(s), {record.rows:,} rows")


@lake_app.command("vacuum")
def vacuum(table: str | None = TABLE_ARGUMENT) -> None:
    """Delete files no live batch lists: leftovers of interrupted writes and of compacted batches."""
    lake, tables = _lake_and_tables(table)
    engine = get_engine(load_settings())
    for name in tables:
        removed = maintenance.vacuum(lake, engine=engine, actor=Actor.console(), table=name)
        say(f"{name}: removed {removed} file(s)")
