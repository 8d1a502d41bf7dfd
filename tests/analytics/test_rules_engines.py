"""DuckDB and PySpark give the same frequent game sets and rules: Apriori's Ibis expressions over the same
Parquet files. Spark starts once for this module (local[2], no UI); skipped with the reason without Java."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from lottocrm.analytics.propensity.synthetic import write_synthetic_lake
from lottocrm.analytics.rules.apriori import RuleOptions, RulesResult, mine_rules
from lottocrm.analytics.rules.engine import LakeEngine
from lottocrm.lake.store import Lake

pytestmark = pytest.mark.slow

AS_OF = dt.date(2026, 6, 1)
OPTIONS = RuleOptions(min_support=0.05, min_confidence=0.2, window_days=90)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None:
        pytest.skip("the PySpark engine needs Java (a JDK 17 on PATH); none found")
    from lottocrm.analytics.engine import local_spark

    session = local_spark(app_name="lottocrm-rules-tests", shuffle_partitions=2)
    yield session
    session.stop()


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


def test_duckdb_and_pyspark_mine_the_same_sets_and_rules(tmp_path, spark) -> None:  # type: ignore[no-untyped-def]
    lake = Lake(tmp_path / "lake")
    write_synthetic_lake(lake, players=300, start=AS_OF - dt.timedelta(days=90), days=90, seed=3)
    with LakeEngine(lake, timezone="Europe/Moscow") as engine:
        duck = mine_rules(engine, as_of=AS_OF, options=OPTIONS)
    with LakeEngine(lake, timezone="Europe/Moscow", engine="pyspark", spark=spark) as engine:
        on_spark = mine_rules(engine, as_of=AS_OF, options=OPTIONS)
    # Sets of three games and more, so the candidate pruning and the rule subsets are exercised.
    assert max(level.size for level in duck.levels if level.frequent) >= 3 and duck.rules.num_rows > 50
    assert (on_spark.baskets, on_spark.min_count, on_spark.levels) == (
        duck.baskets,
        duck.min_count,
        duck.levels,
    )
    duck_sets, duck_rules = _rows(duck)
    spark_sets, spark_rules = _rows(on_spark)
    _assert_same(duck_sets, spark_sets)
    _assert_same(duck_rules, spark_rules)
