"""``lottocrm mart`` and ``lottocrm segments migration`` on a real lake and store, including refused input."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from mart_factory import AS_OF, write_lake, write_players
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from lottocrm.analytics.mart import writeback
from lottocrm.analytics.mart.build import MartOptions, mart_builder
from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.writeback import replace_snapshot
from lottocrm.cli.main import app
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def store(settings: Settings):
    engine = make_engine(settings.db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def filled(settings: Settings, store):
    write_lake(Lake(settings.lake_path))
    write_players(store)
    return store


def _rows_by_date(engine) -> dict[dt.date, int]:
    with transaction(engine) as session:
        counted = session.execute(
            select(PlayerAnalytics.as_of, func.count()).group_by(PlayerAnalytics.as_of)
        ).all()
    return dict(counted)


def test_mart_writes_back_and_a_rerun_replaces(filled) -> None:
    result = invoke("mart", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert "6 players written" in result.output
    assert "vip" in result.output
    assert _rows_by_date(filled) == {AS_OF: 6}

    earlier = dt.date(2026, 3, 1)
    assert invoke("--quiet", "mart", "--as-of", earlier.isoformat()).exit_code == 0
    assert invoke("--quiet", "mart", "--as-of", AS_OF.isoformat()).exit_code == 0
    assert _rows_by_date(filled) == {AS_OF: 6, earlier: 4}

    with transaction(filled) as session:
        regular = session.get(PlayerAnalytics, (AS_OF, 1))
        assert regular is not None
        assert (regular.segment, regular.frequency, regular.monetary_kopecks) == ("active", 4, 65_000)
        assert regular.last_purchase_on == dt.date(2026, 5, 31)
        assert (regular.r_level, regular.f_level, regular.m_level) == (5, 5, 3)
        never = session.get(PlayerAnalytics, (AS_OF, 3))
        assert never is not None and never.segment == "registered_no_purchase" and never.r_level is None


def test_a_failed_write_keeps_the_previous_version(
    filled, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("--quiet", "mart", "--as-of", AS_OF.isoformat()).exit_code == 0
    options = MartOptions(timezone=settings.timezone)
    with mart_builder(lake=Lake(settings.lake_path), engine=filled, options=options) as builder:
        table = builder.build(AS_OF)
    # A row the store refuses (no segment) in the second chunk: the first chunk is already inserted by then.
    segments = table.column("segment").to_pylist()
    segments[-1] = None
    broken = table.set_column(table.schema.get_field_index("segment"), "segment", pa.array(segments))
    monkeypatch.setattr(writeback, "CHUNK_ROWS", 3)
    with pytest.raises(IntegrityError), transaction(filled) as session:
        replace_snapshot(session, as_of=AS_OF, mart=broken)
    assert _rows_by_date(filled) == {AS_OF: 6}


@pytest.mark.parametrize(
    ("as_of", "message"),
    [("2027-01-01", "in the future"), ("2025-01-15", "before any data")],
)
def test_bad_as_of_writes_nothing(filled, as_of: str, message: str) -> None:
    result = invoke("mart", "--as-of", as_of)
    assert result.exit_code == 1
    assert message in result.output
    assert _rows_by_date(filled) == {}


def test_empty_lake_writes_nothing(store) -> None:
    result = invoke("mart", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 1
    assert "holds no tickets" in result.output
    assert _rows_by_date(store) == {}


def test_migration_command(filled) -> None:
    result = invoke("segments", "migration", "--from", "2026-03-01", "--to", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert "not_registered" in result.output and "deep_churn" in result.output
    backwards = invoke("segments", "migration", "--from", AS_OF.isoformat(), "--to", "2026-03-01")
    assert backwards.exit_code == 1 and "must be after" in backwards.output


def test_mart_with_configured_thresholds_and_rfm_cut_points(filled) -> None:
    lifecycle = ["new_days=5", "active_days=10", "at_risk_days=20", "sleeping_days=50", "churned_days=600"]
    cuts = ["rfm_recency_days=30,90,365", "rfm_frequency=2,3,5", "rfm_monetary_kopecks=50000,100000,1000000"]
    args = [f"--threshold={item}" for item in (*lifecycle, "vip_spend_90d_kopecks=2000000", *cuts)]
    result = invoke("--quiet", "mart", "--as-of", AS_OF.isoformat(), "--rfm-mode", "thresholds", *args)
    assert result.exit_code == 0, result.output
    with transaction(filled) as session:
        rows = {row.player_id: row for row in session.scalars(select(PlayerAnalytics))}
    assert {player: row.segment for player, row in rows.items()} == {
        1: "active",
        2: "active",
        3: "registered_no_purchase",
        4: "churned",
        6: "at_risk",
        7: "sleeping",
    }
    assert (rows[1].r_level, rows[1].f_level, rows[1].m_level) == (4, 3, 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold", "idle_days=3"], "unknown name 'idle_days'"),
        (["--threshold", "active_days=soon"], "'soon' is not a whole number"),
        (["--rfm-levels", "9"], "levels per axis must be 3–5"),
        (["--rfm-mode", "thresholds"], "needs cut points for every axis"),
    ],
)
def test_bad_mart_settings_write_nothing(filled, args: list[str], message: str) -> None:
    result = invoke("mart", "--as-of", AS_OF.isoformat(), *args)
    assert result.exit_code == 1
    assert message in result.output
    assert _rows_by_date(filled) == {}
