"""``lottocrm clusters fit`` on a real lake and store: BIC per k, profiles, one stored cluster per buyer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from helpers.propensity_synthetic import write_synthetic_lake, write_synthetic_players
from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster
from lottocrm.cli.main import app
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

runner = CliRunner()
AS_OF = dt.date(2026, 6, 1)


@pytest.fixture
def operator(settings: Settings):
    engine = make_engine(settings.db_url)
    write_synthetic_players(engine, players=300, registered_on=AS_OF - dt.timedelta(days=400))
    write_synthetic_lake(
        Lake(settings.lake_path), players=300, start=AS_OF - dt.timedelta(days=300), days=300, seed=5
    )
    yield engine
    engine.dispose()


def _stored(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(PlayerCluster)),
            session.scalar(select(func.count()).select_from(ClusterProfile)),
        )


def test_clusters_fit_prints_bic_and_profiles_and_stores_assignments(operator) -> None:
    result = runner.invoke(app, ["clusters", "fit", "--as-of", AS_OF.isoformat(), "--max-k", "4"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "BIC by number of clusters" in flat and "←" in flat
    # The whole curve, for both covariance types, with its distance from the lowest BIC and EM's time.
    assert "BIC full" in flat and "BIC diag" in flat and "nats/player" in flat
    assert "EM s" in flat and "chosen: " in flat
    assert "micro-segments" in flat and "purchase days, spend" in flat
    players, profiles = _stored(operator)
    assert 2 <= profiles <= 4
    assert f"{players} players in {profiles} clusters stored" in flat
    with transaction(operator) as session:
        stored = session.scalars(select(ClusterProfile)).all()
        assert sum(p.players for p in stored) == players
        assert set(stored[0].bic_by_k) == {"2", "3", "4"}
        # The label is also stored as data, ending with the audience the 360 page translates.
        assert all(p.traits and p.traits[-1][0] == "audience" for p in stored)
    rerun = runner.invoke(app, ["--quiet", "clusters", "fit", "--as-of", AS_OF.isoformat(), "--max-k", "4"])
    assert rerun.exit_code == 0, rerun.output
    assert _stored(operator) == (players, profiles)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_max_k_below_two_is_refused(operator) -> None:
    result = runner.invoke(app, ["clusters", "fit", "--as-of", AS_OF.isoformat(), "--max-k", "1"])
    assert result.exit_code == 1
    assert "--max-k must be at least 2" in result.output
    assert _stored(operator) == (0, 0)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_as_of_date_before_any_ticket_is_refused(operator) -> None:
    result = runner.invoke(app, ["clusters", "fit", "--as-of", "2025-01-01"])
    assert result.exit_code == 1
    assert "before any data" in result.output
    assert _stored(operator) == (0, 0)
