"""``lottocrm simulate advance --days N``: moves simulated time on past the lake's last day, one lake batch
per day with progress; refuses days already simulated, a gap, a folder without a simulation, too many days."""

from __future__ import annotations

import json

import duckdb
from typer.testing import CliRunner

from lottocrm.cli.main import app
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

SIMULATE = ["simulate", "--players", "300", "--seed", "4", "--end", "2025-06-02", "--years", "1"]


def _latest_day(settings: Settings) -> str:
    connection = Lake(settings.lake_path).connect(duckdb.connect())
    return str(connection.sql("SELECT max(sold_at)::DATE FROM tickets").fetchall()[0][0])


def test_advance_moves_time_on_and_refuses_simulated_days(settings: Settings) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--quiet", *SIMULATE]).exit_code == 0
    before = Lake(settings.lake_path).row_count("tickets")

    moved = runner.invoke(app, ["simulate", "advance", "--days", "3"])
    assert moved.exit_code == 0, moved.output
    assert "simulated 2025-06-02 … 2025-06-04" in moved.output
    after = Lake(settings.lake_path).row_count("tickets")
    assert after > before and _latest_day(settings) == "2025-06-04"
    days = json.loads((settings.ground_truth_dir / "advance" / "days.json").read_text(encoding="utf-8"))
    assert days == {"through": "2025-06-04"}

    again = runner.invoke(app, ["simulate", "advance", "--days", "2", "--from", "2025-06-03"])
    assert again.exit_code == 1
    assert "2025-06-03 is simulated already" in again.output and "nothing written" in again.output
    gap = runner.invoke(app, ["simulate", "advance", "--days", "1", "--from", "2025-06-09"])
    assert gap.exit_code == 1 and "advance from 2025-06-05" in gap.output
    assert Lake(settings.lake_path).row_count("tickets") == after

    far = runner.invoke(app, ["simulate", "advance", "--days", "45"])
    assert far.exit_code == 1 and "the simulated draw calendar reaches" in far.output
    following = runner.invoke(app, ["--quiet", "simulate", "advance", "--days", "1"])
    assert following.exit_code == 0 and _latest_day(settings) == "2025-06-05"


def test_advance_without_a_simulation_says_so(settings: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", "advance", "--days", "1"])
    assert result.exit_code == 1
    assert "no simulated operator in this data folder" in result.output


def test_advance_rejects_zero_days(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["simulate", "advance", "--days", "0"])
    assert result.exit_code == 2 and "--days" in result.output
