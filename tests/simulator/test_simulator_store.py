"""Simulations land in the operational store on both dialects, and the same inputs give the same data."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select

from conftest import SimulatedOperator, run_simulation
from lottocrm.db.base import Base
from lottocrm.simulator.database import SIMULATED_TABLES
from lottocrm.simulator.params import SimulationConfig

SMALL = SimulationConfig(players=600, seed=5, end=dt.date(2024, 11, 1), years=2, chunk_players=300)


def _count(engine: Engine, name: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar_one()


def test_simulation_fills_the_store_on_each_dialect(engine: Engine, tmp_path: Path) -> None:
    operator = run_simulation(tmp_path, engine.url.render_as_string(hide_password=False), SMALL)
    totals = operator.result.totals
    assert _count(engine, "players") == totals.players == 600
    assert _count(engine, "player_identities") == totals.identities
    assert _count(engine, "consent_events") == totals.consent_events
    assert _count(engine, "responsible_gaming") == totals.responsible_gaming
    assert _count(engine, "draws") == totals.draws
    assert _count(engine, "games") == 8

    con = operator.facts()
    con.register("db_players", operator.db_table("players"))
    con.register("db_draws", operator.db_table("draws", "id", "draw_at"))
    orphans = con.execute(
        """
        SELECT count(*) FILTER (WHERE t.player_id IS NOT NULL AND p.id IS NULL),
               count(*) FILTER (WHERE t.draw_id IS NOT NULL AND d.id IS NULL),
               count(*) FILTER (WHERE d.id IS NOT NULL AND t.sold_at >= d.draw_at)
        FROM tickets t LEFT JOIN db_players p ON p.id = t.player_id LEFT JOIN db_draws d ON d.id = t.draw_id
        """
    ).fetchone()
    assert orphans == (0, 0, 0)
    # Times, dates and flags read back through the models exactly as generated.
    players = operator.db_table("players").to_pylist()
    assert all(p["registered_at"].tzinfo is not None for p in players)
    assert isinstance(players[0]["birth_date"], dt.date) and isinstance(players[0]["age_verified"], bool)
    rg = operator.db_table("responsible_gaming").to_pylist()
    assert all(isinstance(r["flags"], list) and r["flags"] for r in rg)


def _store_rows(operator: SimulatedOperator) -> dict[str, list[tuple[object, ...]]]:
    rows = {}
    with operator.engine.connect() as connection:
        for table in SIMULATED_TABLES:
            # Surrogate ids of identities and consents follow insertion order, so they are compared too.
            rows[table.name] = sorted(
                connection.execute(select(table)).all(), key=lambda row: tuple(str(value) for value in row)
            )
    return rows


def _lake_files(operator: SimulatedOperator) -> dict[str, bytes]:
    """Live data files keyed by name without the writer's random token."""
    files = {}
    for table in ("tickets", "wins", "sessions"):
        for path in operator.lake.files(table):
            key = re.sub(
                r"-[0-9a-f]{8}-(\d{4})\.parquet$", r"-\1.parquet", str(path.relative_to(operator.lake.root))
            )
            files[key] = path.read_bytes()
    return files


@pytest.mark.slow
def test_same_seed_gives_byte_identical_facts_and_rows_whatever_the_workers(tmp_path: Path) -> None:
    first = run_simulation(tmp_path / "a", f"sqlite:///{tmp_path / 'a.sqlite3'}", SMALL, workers=1)
    second = run_simulation(tmp_path / "b", f"sqlite:///{tmp_path / 'b.sqlite3'}", SMALL, workers=2)
    first_files, second_files = _lake_files(first), _lake_files(second)
    assert len(first_files) > 10
    assert first_files == second_files
    assert _store_rows(first) == _store_rows(second)
    first_truth = pa.concat_tables(
        pa.parquet.read_table(p) for p in sorted((first.truth_dir / "players").glob("*.parquet"))
    )
    second_truth = pa.concat_tables(
        pa.parquet.read_table(p) for p in sorted((second.truth_dir / "players").glob("*.parquet"))
    )
    assert first_truth.equals(second_truth)

    other = run_simulation(
        tmp_path / "c",
        f"sqlite:///{tmp_path / 'c.sqlite3'}",
        SimulationConfig(players=600, seed=6, end=SMALL.end, years=2, chunk_players=300),
    )
    assert _lake_files(other) != first_files
