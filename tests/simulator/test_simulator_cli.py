"""``lottocrm simulate``: fills an empty data folder, refuses a full one, replaces it only when told."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lottocrm.cli.main import app
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

ARGS = ["simulate", "--players", "400", "--seed", "9", "--end", "2024-12-01", "--years", "1"]


def test_simulate_refuses_a_full_folder_and_replaces_on_request(settings: Settings) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["--quiet", *ARGS])
    assert first.exit_code == 0, first.output
    population = json.loads((settings.ground_truth_dir / "population.json").read_text(encoding="utf-8"))
    assert population["seed"] == 9 and population["players"] == 400
    assert population["population"]["r"] > 0
    tickets = Lake(settings.lake_path).row_count("tickets")
    assert tickets == population["totals"]["tickets"] > 0

    refused = runner.invoke(app, ARGS)
    assert refused.exit_code == 1
    assert "already holds 400 players" in refused.output
    assert "--replace" in refused.output
    assert Lake(settings.lake_path).row_count("tickets") == tickets  # nothing touched

    replaced = runner.invoke(app, [*ARGS, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert "clearing 400 players" in replaced.output
    assert "tickets" in replaced.output
    assert Lake(settings.lake_path).row_count("tickets") == tickets  # same seed, same data, not doubled


def test_simulate_rejects_a_bad_date(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["simulate", "--players", "10", "--end", "01.12.2024"])
    assert result.exit_code == 2
    assert "--end" in result.output


def test_demo_refuses_a_folder_that_holds_data(settings: Settings) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--quiet", *ARGS]).exit_code == 0
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 1
    assert "already holds 400 players" in result.output and "--replace" in result.output
