"""What every CLI command shares: settings that fail with a readable message, the console, progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from lottocrm.settings import Settings, SettingsError, get_settings

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    quiet: bool = False


state = CliState()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error to stderr and return the Exit to raise: ``raise fail("...")``."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        raise fail(f"bad setting — {exc}") from None


def say(message: str, *, markup: bool = True) -> None:
    """Progress and results for a person; ``markup=False`` for text that came from outside (file names)."""
    if not state.quiet:
        console.print(message, highlight=False, markup=markup)


@contextmanager
def progress() -> Iterator[Progress]:
    """A rich progress bar, silent under ``--quiet`` or when stdout is not a terminal-capable console."""
    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=state.quiet,
        transient=False,
    )
    with bar:
        yield bar


# What a command says when the store's tables are missing (a fresh data folder, or a schema behind the code).
DB_NOT_READY = "the operational database is not ready; run `lottocrm init` (or `lottocrm db upgrade`)"


def day_option(name: str, help_text: str) -> Any:
    """A ``--name YYYY-MM-DD`` option (Typer parses it to a datetime; commands take its ``.date()``)."""
    return typer.Option(name, formats=["%Y-%m-%d"], help=help_text)


@contextmanager
def working(description: str) -> Iterator[None]:
    """A spinner with the time spent, for a step that cannot count its progress (a model fit)."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=state.quiet,
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=None)
        yield
        bar.update(task, total=1, completed=1)
