"""DuckDB and PySpark give the same mart: one Ibis expression over the same Parquet files of a simulated lake.

Spark starts once for this module (local[2], no UI); the whole module is skipped with the reason when Java is
missing.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pyarrow as pa
import pytest

from lottocrm.analytics.engine import EngineError, open_engine
from lottocrm.analytics.extracts import PLAYERS_SCHEMA
from lottocrm.analytics.mart.build import MART_COLUMNS, MartBuilder, MartOptions
from lottocrm.analytics.mart.rfm import RfmThresholds
from lottocrm.lake.store import Lake
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import Simulation

# One worker runs every Spark test, so one JVM starts (about 15 s each) instead of one per worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

END = dt.date(2026, 3, 1)
AS_OF = dt.date(2026, 2, 27)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, pa.Table]:
    config = SimulationConfig(players=400, seed=7, end=END, years=2, chunk_players=400)
    chunk = Simulation(config).chunk(0)
    lake = Lake(tmp_path_factory.mktemp("engines") / "lake")
    lake.append("tickets", chunk.tickets, batch_id="engines-tickets")
    lake.append("wins", chunk.wins, batch_id="engines-wins")
    players = chunk.players.select(["id", "registered_at", "region"]).rename_columns(
        ["player_id", "registered_at", "region"]
    )
    return lake, players.cast(PLAYERS_SCHEMA)


def _build(lake: Lake, players: pa.Table, options: MartOptions, spark: Any, as_of: dt.date) -> list[dict]:
    builder = MartBuilder(lake=lake, players=players, options=options, spark=spark)
    try:
        return builder.build(as_of).to_pylist()
    finally:
        builder.close()


def _assert_same(duck: list[dict], spark: list[dict]) -> None:
    assert [row["player_id"] for row in spark] == [row["player_id"] for row in duck]
    for mine, theirs in zip(duck, spark, strict=True):
        for column in MART_COLUMNS:
            a, b = mine[column], theirs[column]
            if isinstance(a, float) and isinstance(b, float):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (mine["player_id"], column, a, b)
            else:
                assert a == b, (mine["player_id"], column, a, b)


def test_duckdb_and_pyspark_give_the_same_mart(simulated, spark) -> None:
    lake, players = simulated
    duck = _build(lake, players, MartOptions(timezone="Europe/Moscow"), None, AS_OF)
    assert len(duck) > 300 and sum(1 for row in duck if row["frequency"] > 2) > 50  # spreads and levels
    assert len({row["segment"] for row in duck}) >= 5
    on_spark = _build(lake, players, MartOptions(timezone="Europe/Moscow", engine="pyspark"), spark, AS_OF)
    _assert_same(duck, on_spark)


def test_threshold_levels_in_another_zone_are_the_same_on_both_engines(simulated, spark) -> None:
    lake, players = simulated
    cuts = RfmThresholds(recency_days=(30, 90), frequency=(2, 5), monetary_kopecks=(50_000, 500_000))
    as_of = dt.date(2025, 9, 14)
    duck = _build(lake, players, MartOptions(timezone="Asia/Vladivostok", rfm_thresholds=cuts), None, as_of)
    options = MartOptions(timezone="Asia/Vladivostok", rfm_thresholds=cuts, engine="pyspark")
    _assert_same(duck, _build(lake, players, options, spark, as_of))


def test_unknown_engine_is_refused(simulated) -> None:
    lake, players = simulated
    with pytest.raises(ValueError, match="unknown engine 'polars'"):
        MartOptions(timezone="Europe/Moscow", engine="polars")
    with pytest.raises(EngineError, match="unknown engine 'polars'"):
        open_engine("polars", lake=lake, tables={"players": players})
