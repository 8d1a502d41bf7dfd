"""DuckDB and PySpark give the same frequent game sets and rules, and the same next games ranked with them:
the same Ibis expressions over the same Parquet files. Spark starts once for this module (local[2], no UI);
skipped with the reason without Java."""

from __future__ import annotations

import datetime as dt
import math
import random

import pyarrow as pa
import pytest

from helpers.propensity_synthetic import write_synthetic_lake
from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.propensity.model import PROPENSITY_SCHEMA
from lottocrm.analytics.propensity.offers import next_games, single_game_rules
from lottocrm.analytics.rules.apriori import RuleOptions, RulesResult, mine_rules
from lottocrm.lake.store import Lake

# One worker runs every Spark test, so one JVM starts (about 15 s each) instead of one per worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

AS_OF = dt.date(2026, 6, 1)
# Sets of up to three games: enough for the candidate pruning and the rule subsets, and a level less of Spark.
OPTIONS = RuleOptions(min_support=0.05, min_confidence=0.2, window_days=90, max_length=3)


def _rows(result: RulesResult) -> tuple[list[dict], list[dict]]:
    return result.itemsets.to_pylist(), result.rules.to_pylist()


def _assert_same(duck: list[dict], spark: list[dict]) -> None:
    assert len(spark) == len(duck)
    for mine, theirs in zip(duck, spark, strict=True):
        assert mine.keys() == theirs.keys()
        for key, value in mine.items():
            if isinstance(value, float):
                assert math.isclose(value, theirs[key], rel_tol=1e-12), (mine, theirs)
            else:
                assert value == theirs[key], (mine, theirs)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("rules-engines") / "lake")
    write_synthetic_lake(lake, players=300, start=AS_OF - dt.timedelta(days=90), days=90, seed=3)
    return lake


def test_duckdb_and_pyspark_mine_the_same_sets_and_rules(lake: Lake, spark) -> None:  # type: ignore[no-untyped-def]
    with LakeCompute(lake, timezone="Europe/Moscow") as engine:
        duck = mine_rules(engine, as_of=AS_OF, options=OPTIONS)
    with LakeCompute(lake, timezone="Europe/Moscow", engine="pyspark", spark=spark) as engine:
        on_spark = mine_rules(engine, as_of=AS_OF, options=OPTIONS)
    # Sets of three games and more, so the candidate pruning and the rule subsets are exercised.
    assert max(level.size for level in duck.levels if level.frequent) == 3 and duck.rules.num_rows > 50
    assert (on_spark.baskets, on_spark.min_count, on_spark.levels) == (
        duck.baskets,
        duck.min_count,
        duck.levels,
    )
    duck_sets, duck_rules = _rows(duck)
    spark_sets, spark_rules = _rows(on_spark)
    _assert_same(duck_sets, spark_sets)
    _assert_same(duck_rules, spark_rules)


def test_duckdb_and_pyspark_rank_the_same_next_games(lake: Lake, spark) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    scores = pa.Table.from_pylist(
        [
            {"player_id": p, "game_id": g, "probability": rng.random(), "played_before": rng.random() < 0.3}
            for p in range(1, 301)
            for g in range(1, 9)
        ],
        schema=PROPENSITY_SCHEMA,
    )
    # The rules' own parity is the test above: mine them once, rank with them on both engines.
    with LakeCompute(lake, timezone="Europe/Moscow") as engine:
        rules = single_game_rules(mine_rules(engine, as_of=AS_OF, options=OPTIONS).rules)
    ranked = {}
    for name, session in (("duckdb", None), ("pyspark", spark)):
        with LakeCompute(lake, timezone="Europe/Moscow", engine=name, spark=session) as engine:
            ranked[name] = next_games(
                engine,
                propensities=engine.register(engine.name("scores"), scores),
                rules=rules,
                as_of=AS_OF,
                window_days=90,
                top=3,
            )
    assert ranked["duckdb"].num_rows > 600 and ranked["duckdb"].column("lift").null_count < 600
    assert ranked["pyspark"].equals(ranked["duckdb"])
