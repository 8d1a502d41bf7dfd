"""``lottocrm identity resolve``: bad input is refused with a clear message before anything runs."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lottocrm.cli.main import app
from lottocrm.settings import Settings


def test_thresholds_in_the_wrong_order_are_refused(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["identity", "resolve", "--certain", "0.8", "--probable", "0.95"])
    assert result.exit_code == 1
    assert "probable threshold (0.95) must be below the certain threshold (0.8)" in result.output


def test_an_empty_store_is_refused(settings: Settings) -> None:
    from lottocrm.db import migrate
    from lottocrm.db.engine import make_engine

    migrate.upgrade(make_engine(settings.db_url))
    result = CliRunner().invoke(app, ["identity", "resolve"])
    assert result.exit_code == 1
    assert "the store holds 0 players" in result.output


@pytest.mark.slow
def test_a_resolution_from_the_console_reports_and_is_audited(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt
    from dataclasses import replace

    from sqlalchemy import select

    from lottocrm.audit.models import AuditEvent
    from lottocrm.db import migrate
    from lottocrm.db.engine import make_engine, transaction
    from lottocrm.lake.store import Lake
    from lottocrm.simulator.params import PopulationParams, SimulationConfig
    from lottocrm.simulator.run import simulate

    engine = make_engine(settings.db_url)
    migrate.upgrade(engine)
    config = SimulationConfig(
        players=600,
        seed=4,
        end=dt.date(2025, 3, 1),
        chunk_players=600,
        population=replace(PopulationParams(), duplicate_share=0.05),
    )
    simulate(config, engine=engine, lake=Lake(tmp_path / "lake"), truth_dir=tmp_path / "truth", workers=1)
    result = CliRunner().invoke(app, ["identity", "resolve", "--by", "ivanova"])
    assert result.exit_code == 0, result.output
    assert "full run 1: 600 of 600 players scored" in result.output
    with transaction(engine) as session:
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "identity.resolve")
        ).all()
    assert actors == ["cli:ivanova"]
