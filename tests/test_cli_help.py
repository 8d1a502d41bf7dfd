"""Every command and sub-command of the CLI answers --help (the issue asks for --help everywhere)."""

from collections.abc import Iterator

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from lottocrm.cli.main import app


def _command_paths(command: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _command_paths(sub, (*prefix, name))


ALL_PATHS = list(_command_paths(typer.main.get_command(app)))


def test_the_cli_has_its_foundation_commands() -> None:
    names = {path[0] for path in ALL_PATHS if path}
    assert {"init", "db"} <= names


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: " ".join(p) or "lottocrm")
def test_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
