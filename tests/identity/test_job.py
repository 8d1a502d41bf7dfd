"""The ``identity.resolve`` job: served by the worker, acting as ``job:identity.resolve``; a store too small
to learn from is skipped, not failed (a schedule must not retry it forever)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lottocrm.db.engine import transaction
from lottocrm.events.delivery import worker_registry
from lottocrm.identity.models import ResolutionRun
from lottocrm.jobs.registry import JobContext
from lottocrm.jobs.service import ClaimedJob, utcnow
from lottocrm.lake.store import Lake
from lottocrm.simulator.params import PopulationParams, SimulationConfig
from lottocrm.simulator.run import simulate


def _job(payload: dict) -> ClaimedJob:
    return ClaimedJob(
        id=1,
        kind="identity.resolve",
        queue="default",
        payload=payload,
        attempt=1,
        max_attempts=3,
        run_at=utcnow(),
    )


def _runs(engine: Engine) -> list[tuple[str, str]]:
    with transaction(engine) as session:
        return [tuple(row) for row in session.execute(select(ResolutionRun.actor, ResolutionRun.mode)).all()]  # type: ignore[misc]


def test_the_job_skips_an_empty_store(engine: Engine) -> None:
    handler = worker_registry().handler_for("identity.resolve")
    handler(JobContext(job=_job({}), engine=engine))
    assert _runs(engine) == []


@pytest.mark.slow
def test_the_job_runs_full_then_incremental(engine: Engine, tmp_path: Path) -> None:
    config = SimulationConfig(
        players=600,
        seed=3,
        end=dt.date(2025, 3, 1),
        chunk_players=600,
        population=replace(PopulationParams(), duplicate_share=0.05),
    )
    simulate(config, engine=engine, lake=Lake(tmp_path / "lake"), truth_dir=tmp_path / "truth", workers=1)
    handler = worker_registry().handler_for("identity.resolve")
    handler(JobContext(job=_job({}), engine=engine))
    handler(JobContext(job=_job({"incremental": True}), engine=engine))
    assert _runs(engine) == [("job:identity.resolve", "full"), ("job:identity.resolve", "incremental")]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ResolutionRun)) == 2
