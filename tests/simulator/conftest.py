"""One small simulated operator shared by the read-only simulator tests (built once per test process)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from lottocrm import domains
from lottocrm.db import migrate
from lottocrm.db.base import Base
from lottocrm.db.engine import make_engine
from lottocrm.lake.store import Lake
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import SimulationResult, simulate

domains.import_models()  # fills Base.metadata

# Three years ending 1 March: three Decembers and three New Year draws inside the window.
END = dt.date(2025, 3, 1)


@dataclass(frozen=True)
class SimulatedOperator:
    config: SimulationConfig
    result: SimulationResult
    engine: Engine
    lake: Lake
    truth_dir: Path
    cache: dict[tuple[str, tuple[str, ...]], pa.Table] = field(default_factory=dict)

    def facts(self) -> duckdb.DuckDBPyConnection:
        """DuckDB with views over the lake plus the ground truth as ``truth``."""
        con = self.lake.connect()
        con.register("truth", pq.read_table(self.truth_dir / "players"))
        return con

    def db_table(self, name: str, *columns: str) -> pa.Table:
        """A store table read through the models' column types (UTC datetimes, dates, booleans)."""
        key = (name, columns)
        if key not in self.cache:
            table = Base.metadata.tables[name]
            chosen = [table.c[c] for c in columns] if columns else list(table.columns)
            with self.engine.connect() as connection:
                rows = connection.execute(select(*chosen)).all()
            self.cache[key] = pa.table({c.name: [row[i] for row in rows] for i, c in enumerate(chosen)})
        return self.cache[key]


def run_simulation(root: Path, db_url: str, config: SimulationConfig, workers: int = 1) -> SimulatedOperator:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    lake = Lake(root / "lake")
    result = simulate(config, engine=engine, lake=lake, truth_dir=root / "ground-truth", workers=workers)
    return SimulatedOperator(config, result, engine, lake, root / "ground-truth")


@pytest.fixture(scope="session")
def operator(tmp_path_factory: pytest.TempPathFactory) -> SimulatedOperator:
    root = tmp_path_factory.mktemp("operator")
    # Two chunks, so chunk boundaries and id schemes are exercised.
    config = SimulationConfig(players=4_000, seed=11, end=END, chunk_players=2_000)
    return run_simulation(root, f"sqlite:///{root / 'crm.sqlite3'}", config, workers=2)
