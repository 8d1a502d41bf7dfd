"""``lottocrm propensity build`` on a real lake and store: holdout ROC-AUC per game against the baseline."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from helpers.propensity_synthetic import (
    write_synthetic_games,
    write_synthetic_lake,
    write_synthetic_players,
)
from lottocrm.cli.main import app
from lottocrm.db.engine import make_engine
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

runner = CliRunner()
AS_OF = dt.date(2026, 6, 1)


@pytest.fixture
def operator(settings: Settings):
    engine = make_engine(settings.db_url)
    write_synthetic_games(engine)
    write_synthetic_players(engine, players=300, registered_on=AS_OF - dt.timedelta(days=400))
    write_synthetic_lake(
        Lake(settings.lake_path), players=300, start=AS_OF - dt.timedelta(days=300), days=300, seed=9
    )
    yield engine
    engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_propensity_build_prints_holdout_auc_per_game(operator) -> None:
    result = runner.invoke(app, ["propensity", "build", "--as-of", AS_OF.isoformat(), "--offers", "2"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "holdout: features at 2026-05-02, played in the next 30 days (trained at 2026-04-02)" in flat
    assert "ROC-AUC played-before" in flat and "game_8" in flat and "all games" in flat
    assert "players scored" in flat and "offers stored" in flat


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--horizon-days", "0"), "--horizon-days must be a positive number of days"),
        (("--min-support", "0"), "--min-support must be in (0, 1]"),
        (("--window-days", "-1"), "--window-days must be a positive number of days"),
    ],
)
def test_refused_input(operator, args: tuple[str, ...], message: str) -> None:
    result = runner.invoke(app, ["propensity", "build", "--as-of", AS_OF.isoformat(), *args])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_too_little_history_for_training_is_refused(operator) -> None:
    result = runner.invoke(app, ["propensity", "build", "--as-of", "2025-09-01"])
    assert result.exit_code == 1
    assert "training date (as-of − 2 × 30 horizon days) 2025-07-03 has no tickets before it" in " ".join(
        result.output.split()
    )
