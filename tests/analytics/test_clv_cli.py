"""``lottocrm clv fit`` on a real lake in a temporary data folder, including every refused input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from lake_factory import MOSCOW, tickets_table, write_players
from typer.testing import CliRunner

from lottocrm.cli.main import app
from lottocrm.lake.store import Lake
from lottocrm.settings import get_settings

runner = CliRunner()
START = dt.date(2024, 1, 1)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOTTOCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LOTTOCRM_LAKE_DIR", raising=False)
    monkeypatch.delenv("LOTTOCRM_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    assert runner.invoke(app, ["--quiet", "init"]).exit_code == 0  # every command but init needs a schema
    yield tmp_path / "data"
    get_settings.cache_clear()


@pytest.fixture
def lake(data_dir: Path) -> Lake:
    return Lake(data_dir / "lake")


@pytest.fixture
def players_lake(lake: Lake) -> Lake:
    write_players(lake, players=400, start=START, days=365, seed=3)
    return lake


def clv(*args: str):
    return runner.invoke(app, ["--quiet", "clv", "fit", *args])


def test_fit_with_holdout_as_json(players_lake: Lake) -> None:
    result = clv("--calibration-end", "2024-06-30", "--holdout-end", "2024-12-30", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["players"] == 400
    assert 0 < report["repeat_buyers"] < 400
    for name in ("bgnbd", "pareto"):
        model = report["models"][name]
        assert model["convergence"]["converged"]
        assert model["log_likelihood"] < 0
        holdout = model["holdout"]
        assert holdout["weeks"] == pytest.approx(183 / 7)
        assert holdout["actual_total"] > 0
        assert sum(bucket["customers"] for bucket in holdout["buckets"]) == 400
        # The generator is neither model; a sane fit still forecasts the holdout volume within a factor of 2.
        assert 0.5 < holdout["predicted_total"] / holdout["actual_total"] < 2
    spend = report["gamma_gamma"]
    assert 5_000 <= spend["mean_spend_per_transaction_kopecks"] <= 50_000
    assert isinstance(spend["mean_spend_per_transaction_kopecks"], int)


def test_fit_one_model_as_tables(players_lake: Lake) -> None:
    result = runner.invoke(
        app,
        ["clv", "fit", "--calibration-end", "2024-06-30", "--holdout-end", "2024-09-30", "--model", "bgnbd"],
    )
    assert result.exit_code == 0, result.output
    assert "BG/NBD" in result.stdout and "Pareto/NBD" not in result.stdout
    assert "log-likelihood" in result.stdout and "predicted mean" in result.stdout
    assert "Gamma-Gamma" in result.stdout


def test_empty_lake_is_refused(lake: Lake) -> None:
    result = clv("--calibration-end", "2024-06-30")
    assert result.exit_code == 1
    assert "holds no tickets" in result.stderr
    assert "Traceback" not in result.output


def test_only_anonymous_tickets_are_refused(lake: Lake) -> None:
    sold = dt.datetime(2024, 3, 1, 12, tzinfo=MOSCOW)
    lake.append("tickets", tickets_table([(None, sold, 10_000)]), batch_id="anonymous")
    result = clv("--calibration-end", "2024-06-30")
    assert result.exit_code == 1
    assert "registered player" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calibration-end", "2023-12-31"], "before the first ticket"),
        (["--calibration-end", (dt.date.today() + dt.timedelta(days=2)).isoformat()], "in the future"),
        (
            ["--calibration-end", "2024-06-30", "--holdout-end", "2024-06-30"],
            "must be after the calibration end",
        ),
        (
            ["--calibration-end", "2024-06-30", "--holdout-end", "2024-05-01"],
            "must be after the calibration end",
        ),
        (
            [
                "--calibration-end",
                "2024-06-30",
                "--holdout-end",
                (dt.date.today() + dt.timedelta(days=2)).isoformat(),
            ],
            "in the future",
        ),
    ],
)
def test_bad_dates_are_refused(players_lake: Lake, args: list[str], message: str) -> None:
    result = clv(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_malformed_date_is_refused(players_lake: Lake) -> None:
    result = clv("--calibration-end", "30/06/2024")
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_no_repeat_buyers_is_refused(lake: Lake) -> None:
    rows = [(player, dt.datetime(2024, 3, player, 12, tzinfo=MOSCOW), 10_000) for player in range(1, 20)]
    lake.append("tickets", tickets_table(rows), batch_id="one-off-buyers")
    result = clv("--calibration-end", "2024-06-30")
    assert result.exit_code == 1
    assert "repeat purchase" in result.stderr
    assert "Traceback" not in result.output
