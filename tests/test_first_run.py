"""A new user's first commands on an empty data folder: one line that says what to do, never a traceback,
never an empty database file left behind; the health check tells a missing schema from a good one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lottocrm import domains
from lottocrm.cli.main import SCHEMA_MAKERS, _load, app
from lottocrm.settings import build_settings
from lottocrm.web.app import create_app


def _leaves(command: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    if hasattr(command, "commands"):  # a group (Typer vendors its own click)
        return [leaf for name, sub in command.commands.items() for leaf in _leaves(sub, (*path, name))]
    return [path]


EVERY_COMMAND = sorted(
    leaf
    for spec in domains.commands()
    if spec.name not in SCHEMA_MAKERS
    for leaf in _leaves(_load(spec), (spec.name,))
)


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "new-data"
    monkeypatch.setenv("LOTTOCRM_DATA_DIR", str(folder))
    monkeypatch.delenv("LOTTOCRM_DATABASE_URL", raising=False)
    monkeypatch.delenv("LOTTOCRM_LAKE_DIR", raising=False)
    from lottocrm.settings import get_settings

    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=" ".join)
def test_every_command_on_an_empty_folder_says_run_init(empty_folder: Path, command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, list(command))
    assert result.exit_code == 1, result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
    assert "run `lottocrm init` first" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (empty_folder / "crm.sqlite3").exists()


def test_the_list_of_commands_is_complete() -> None:
    assert (
        len(EVERY_COMMAND) > 40
        and ("loyalty", "balance") in EVERY_COMMAND
        and ("user", "create") in EVERY_COMMAND
    )


def test_after_init_they_run(empty_folder: Path) -> None:
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    assert CliRunner().invoke(app, ["jobs", "list"]).exit_code == 0


def test_the_health_check_reports_a_missing_schema(empty_folder: Path) -> None:
    with TestClient(create_app(build_settings())) as client:
        answer = client.get("/api/v1/health")
    assert answer.status_code == 503 and answer.json()["status"] == "schema_missing"


def explode() -> None:
    """Raise."""
    raise ZeroDivisionError("the numbers went wrong")


def test_an_unexpected_error_is_one_line(empty_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lottocrm.cli import main
    from lottocrm.manifest import Command, Domain

    monkeypatch.setattr(
        domains,
        "INSTALLED",
        (
            *domains.INSTALLED,
            Domain(name="test", commands=(Command("explode", "test_first_run:explode", "Raise."),)),
        ),
    )
    monkeypatch.setattr(main, "SCHEMA_MAKERS", frozenset({*main.SCHEMA_MAKERS, "explode"}))
    result = CliRunner().invoke(app, ["explode"])
    assert result.exit_code == 1
    assert "unexpected ZeroDivisionError: the numbers went wrong" in result.output
    assert "Traceback" not in result.output
