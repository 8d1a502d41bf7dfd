"""The mart compiled to Trino and ClickHouse SQL, compared with the snapshots in ``snapshots/``.

The expression is the one DuckDB and PySpark run, over unbound tables with the lake's and the players
extract's schemas. A change to the mart shows up here as a SQL diff to review. To accept it, refresh the
snapshots and commit them:

    LOTTOCRM_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/analytics/test_mart_sql_snapshots.py
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import ibis
import pytest

from lottocrm.analytics.extracts import PLAYERS_SCHEMA
from lottocrm.analytics.mart.build import MartOptions, mart_expression
from lottocrm.lake.schemas import TICKETS, WINS

SNAPSHOTS = Path(__file__).parent / "snapshots"
DIALECTS = ("trino", "clickhouse")


def compiled_mart(dialect: str) -> str:
    def table(schema, name: str) -> ibis.Table:  # type: ignore[no-untyped-def]
        return ibis.table(ibis.Schema.from_pyarrow(schema), name=name)

    expression = mart_expression(
        tickets=table(TICKETS.schema, "tickets"),
        wins=table(WINS.schema, "wins"),
        players=table(PLAYERS_SCHEMA, "players"),
        as_of=dt.date(2026, 10, 31),
        options=MartOptions(timezone="Europe/Moscow"),
        games=[1, 2, 7],
        channels=["app", "retail_kiosk", "website"],
    )
    return str(ibis.to_sql(expression, dialect=dialect)).strip() + "\n"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_mart_sql_matches_the_snapshot(dialect: str) -> None:
    path = SNAPSHOTS / f"mart_{dialect}.sql"
    sql = compiled_mart(dialect)
    if os.environ.get("LOTTOCRM_UPDATE_SNAPSHOTS") == "1":
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with LOTTOCRM_UPDATE_SNAPSHOTS=1 to create it"
    assert sql == path.read_text(encoding="utf-8"), (
        f"the {dialect} SQL of the mart changed; review the diff and refresh with LOTTOCRM_UPDATE_SNAPSHOTS=1"
    )


def test_compiled_sql_is_the_same_in_another_process() -> None:
    """No names from counters, hash order or clocks: a fresh interpreter with another hash seed agrees."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from test_mart_sql_snapshots import compiled_mart; "
        "print(compiled_mart('trino') + compiled_mart('clickhouse'), end='')"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert fresh.stdout == compiled_mart("trino") + compiled_mart("clickhouse")
