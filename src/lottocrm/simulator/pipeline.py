"""Simulating an operator into the data folder: refuse to mix two operators, clear on request, run, record;
and advancing its simulated time.

Owns its transactions (it takes an Engine): the simulation writes in chunks, and the audit row that says who
ran it, with what parameters and what it replaced, is written once the data is in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pyarrow as pa

from lottocrm.audit import schema
from lottocrm.audit.service import Actor, record
from lottocrm.catalog.models import Game
from lottocrm.db.engine import get_engine, transaction
from lottocrm.errors import ServiceError
from lottocrm.lake.schemas import FACT_TABLES
from lottocrm.lake.store import Lake
from lottocrm.players.models import Player
from lottocrm.settings import Settings
from lottocrm.simulator import database, ground_truth
from lottocrm.simulator.advance import AdvanceResult, DayResult, advance
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import SimulationResult, simulate


class DataFolderInUse(ServiceError):
    code = "data_folder_in_use"


def simulate_operator(
    settings: Settings,
    config: SimulationConfig,
    *,
    actor: Actor,
    replace: bool,
    notify: Callable[[str], None],
    on_chunk: Callable[[int], None],
) -> SimulationResult:
    """Prepare the data folder (refusing one that holds data unless ``replace``) and run the simulation."""
    for folder in (settings.data_dir, settings.lake_path):
        folder.mkdir(parents=True, exist_ok=True)
    engine = get_engine(settings)
    schema.upgrade(engine, actor=actor)
    lake = Lake(settings.lake_path)
    existing = database.ExistingData(
        players=database.count_rows(engine, Player.__table__),
        games=database.count_rows(engine, Game.__table__),
        tickets=lake.row_count("tickets"),
    )
    if not existing.empty:
        if not replace:
            raise DataFolderInUse(
                f"{settings.data_dir} already holds {existing.describe()}; a simulation would mix two "
                "operators. Re-run with --replace to clear them first, "
                "or set LOTTOCRM_DATA_DIR to another folder."
            )
        notify(f"clearing {existing.describe()} from {settings.data_dir}")
        cleared = database.clear_simulated_tables(engine)
        notify(f"  cleared tables: {', '.join(cleared) or 'none'}; lake facts; ground truth")
        for table in FACT_TABLES:
            lake.drop(table)
    # Ground truth without data is stale, whatever left it there.
    ground_truth.clear(settings.ground_truth_dir)
    result = simulate(
        config, engine=engine, lake=lake, truth_dir=settings.ground_truth_dir, on_chunk=on_chunk
    )
    with transaction(engine) as session:
        record(
            session,
            actor=actor,
            action="simulator.run",
            detail={
                "players": config.players,
                "seed": config.seed,
                "end": config.end.isoformat(),
                "years": config.years,
                "replaced": None if existing.empty else existing.describe(),
                "tickets": result.totals.tickets,
            },
        )
    return result


def advance_operator(
    settings: Settings,
    *,
    actor: Actor,
    days: int,
    members: pa.Table,
    first_day: dt.date | None,
    on_day: Callable[[DayResult], None],
) -> AdvanceResult:
    """Advance simulated time in the data folder and record who did it, over which days, with what."""
    engine = get_engine(settings)
    result = advance(
        truth_dir=settings.ground_truth_dir,
        engine=engine,
        lake=Lake(settings.lake_path),
        days=days,
        members=members,
        first_day=first_day,
        on_day=on_day,
    )
    with transaction(engine) as session:
        record(
            session,
            actor=actor,
            action="simulator.advance",
            detail={
                "first": result.first.isoformat(),
                "last": result.last.isoformat(),
                "tickets": result.tickets,
                "planted_runs": result.planted_runs,
                "unplanted_runs": result.unplanted_runs,
            },
        )
    return result
