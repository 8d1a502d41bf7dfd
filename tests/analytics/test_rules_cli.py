"""``lottocrm rules`` on a real lake and store: the table, the CSV, and every refused input."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from typer.testing import CliRunner

from helpers.propensity_synthetic import basket_tickets, write_synthetic_games
from lottocrm.cli.main import app
from lottocrm.db.engine import make_engine
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

runner = CliRunner()
MOSCOW = dt.timezone(dt.timedelta(hours=3))
HAND = {1: {1, 2, 3}, 2: {1, 2}, 3: {1, 3}, 4: {2, 3}, 5: {1, 2, 3, 4}, 6: {4}}


@pytest.fixture
def filled(settings: Settings):
    engine = make_engine(settings.db_url)
    write_synthetic_games(engine)
    sold = dt.datetime(2026, 5, 20, 12, tzinfo=MOSCOW)
    Lake(settings.lake_path).append("tickets", basket_tickets(HAND, sold_at=sold), batch_id="hand")
    yield engine
    engine.dispose()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_rules_table_and_csv(filled) -> None:
    shown = invoke("rules", "--min-support", "0.3", "--min-confidence", "0.6", "--as-of", "2026-06-01")
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert "6 players with a ticket in 90 days before 2026-06-01; min support 0.3 = 2 baskets" in flat
    assert "game_1 + game_2" in flat and "9 rules" in flat

    # Without --as-of the baskets end with the last ticket: the same six baskets.
    written = invoke("--quiet", "rules", "--min-support", "0.3", "--min-confidence", "0.6", "--csv")
    assert written.exit_code == 0, written.output
    rows = list(csv.DictReader(io.StringIO(written.output)))
    assert len(rows) == 9
    pair = next(r for r in rows if (r["antecedent"], r["consequent"]) == ("game_1", "game_2"))
    assert (pair["players"], pair["support"], pair["confidence"], pair["lift"]) == (
        "3",
        "0.500000",
        "0.750000",
        "1.125000",
    )


# Refusals happen before the store is read: SQLite alone is enough.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--min-support", "0", "--min-confidence", "0.5"), "--min-support must be in (0, 1]"),
        (("--min-support", "1.2", "--min-confidence", "0.5"), "--min-support must be in (0, 1]"),
        (("--min-support", "0.1", "--min-confidence", "1.5"), "--min-confidence must be in [0, 1]"),
        (("--min-support", "0.1", "--min-confidence", "0.5", "--window-days", "0"), "--window-days must be"),
        (
            ("--min-support", "0.1", "--min-confidence", "0.5", "--as-of", "2026-05-01"),
            "as-of date 2026-05-01 has no tickets before it",
        ),
        (
            ("--min-support", "0.1", "--min-confidence", "0.5", "--engine", "trino"),
            "--engine must be one of duckdb, pyspark, got 'trino'",
        ),
    ],
)
def test_refused_input(filled, args: tuple[str, ...], message: str) -> None:
    result = invoke("rules", *args)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_empty_lake_is_refused(settings: Settings) -> None:
    result = invoke("rules", "--min-support", "0.1", "--min-confidence", "0.5")
    assert result.exit_code == 1
    assert "holds no tickets" in result.output
