"""The ``lottocrm`` command line: the commands every installed domain lists in its wiring.

A command's module is imported only when that command runs (or its own ``--help`` is asked for), so
``lottocrm --help`` lists every command from the manifests' one-line help without importing pandas, Ibis or
LightGBM, and one command never pays for another's imports.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from lottocrm import __version__, domains
from lottocrm.cli.context import fail, load_settings, state
from lottocrm.errors import ServiceError
from lottocrm.manifest import Command, resolve


class _Unloaded(TyperCommand):
    """What a command is until it runs: its name and its one-line help."""

    def __init__(self, spec: Command) -> None:
        super().__init__(spec.name, help=spec.help, short_help=spec.help)
        self.spec = spec


def _load(spec: Command) -> Any:
    target = resolve(spec.target)
    if isinstance(target, typer.Typer):
        command: Any = typer.main.get_group(target)
    else:
        single = typer.Typer()
        single.command(spec.name)(target)
        command = typer.main.get_command(single)
    command.name = spec.name
    return command


# Commands that create the schema (or only read it): everything else needs an up-to-date database first.
SCHEMA_MAKERS = frozenset({"init", "db", "simulate", "demo"})


def _require_schema(command: str, args: list[str]) -> None:
    """One line instead of a traceback ("no such table") and an empty database file left behind."""
    if command in SCHEMA_MAKERS or "--help" in args:
        return
    # Imported here: Alembic would slow `lottocrm --help`, which needs no database.
    from lottocrm.db.migrate import schema_state

    settings = load_settings()
    try:
        state = schema_state(settings.db_url)
    except Exception as exc:  # any driver's "cannot connect", in its own first words
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise fail(f"cannot reach the database {_shown(settings.db_url)}: {reason}") from None
    if state == "missing":
        raise fail(f"no lottocrm database at {_shown(settings.db_url)} yet: run `lottocrm init` first")
    if state == "outdated":
        raise fail(
            f"the database {_shown(settings.db_url)} is from an older lottocrm: run `lottocrm db upgrade`"
        )
    if state == "newer":
        raise fail(
            f"the database {_shown(settings.db_url)} was migrated by a newer lottocrm: upgrade this one"
        )


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class InstalledCommands(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in domains.commands():
            self.commands[spec.name] = _Unloaded(spec)

    def loaded(self, name: str) -> Any:
        command = self.commands.get(name)
        if isinstance(command, _Unloaded):
            command = self.commands[name] = _load(command.spec)
        return command

    def invoke(self, ctx: Any) -> Any:
        """A service's refusal is one line on stderr and exit code 1, whichever command met it; so is anything
        unexpected (``LOTTOCRM_DEBUG=1`` shows the traceback)."""
        try:
            return super().invoke(ctx)
        except ServiceError as exc:
            raise fail(exc.message) from None
        except Exception as exc:
            # Usage errors, --help and exits are the command line's own way out (Typer carries its own click).
            if type(exc).__module__.startswith(("click", "typer")) or os.environ.get("LOTTOCRM_DEBUG"):
                raise
            raise fail(
                f"unexpected {type(exc).__name__}: {exc} (run again with LOTTOCRM_DEBUG=1 for the traceback)"
            ) from None

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        if args:
            self.loaded(args[0])
            if not ctx.resilient_parsing:
                _require_schema(args[0], args[1:])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="lottocrm",
    cls=InstalledCommands,
    help="lottocrm — CRM for lottery operators: store, lake, import, simulation, analytics, loyalty.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lottocrm {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bars or chatter; errors still print."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    state.quiet = quiet
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
