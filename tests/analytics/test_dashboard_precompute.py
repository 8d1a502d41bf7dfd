"""The dashboard answers from the report cache: the worker computes its reports when their inputs change (an
import of tickets or players, a write-back of the analytical record), the page never computes, and without a
worker the page still answers at once and its charts and cards compute what is missing."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pyarrow as pa
import pytest

from helpers.factories import analytics_record
from lottocrm import clock
from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.writeback import replace_snapshot
from lottocrm.analytics.queries.kpi import KpiQuery
from lottocrm.analytics.queries.registry import dashboard_reports
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.events.delivery import worker_registry
from lottocrm.events.outbox import EVENTS_QUEUE
from lottocrm.ingest.service import import_table
from lottocrm.jobs.worker import Worker
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

NOW = dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC)
CHARTS = [f"/api/v1/reports/{name}" for name in dashboard_reports()]


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The kinds of every batch of reports the runner computes (a hit computes nothing)."""
    seen: list[list[str]] = []
    calculate = ReportRunner._calculate

    def counted(self, queries):  # type: ignore[no-untyped-def]
        seen.append([query.kind for query in queries])
        return calculate(self, queries)

    monkeypatch.setattr(ReportRunner, "_calculate", counted)
    return seen


def _work(engine) -> None:  # type: ignore[no-untyped-def]
    Worker(engine, worker_registry(), queues=[EVENTS_QUEUE], run_schedules=False, poll_interval=0.05).run(
        once=True
    )


def _import_tickets(settings: Settings, engine) -> None:  # type: ignore[no-untyped-def]
    """Two July tickets of player 1003 (an instant game: no draw), through the real import."""
    tickets = pa.table(
        {
            "ticket_id": pa.array([501, 502], pa.int64()),
            "player_id": pa.array([1003, 1003], pa.int64()),
            "game_id": pa.array([2, 2], pa.int32()),
            "channel": ["app", "app"],
            "price_kopecks": pa.array([5_000, 5_000], pa.int64()),
            "sold_at": pa.array([NOW, NOW], pa.timestamp("us", tz="UTC")),
        }
    )
    report = import_table(
        actor=Actor("import:tests"),
        kind="tickets",
        table=tickets,
        engine=engine,
        lake=Lake(settings.lake_path),
        settings=settings,
        now=NOW,
    )
    assert report.status == "loaded", report


def _write_back(engine, as_of: dt.date, segment: str) -> None:  # type: ignore[no-untyped-def]
    columns = [column.name for column in PlayerAnalytics.__table__.columns if column.name != "as_of"]
    row = analytics_record(1001, as_of, segment, 1)
    with transaction(engine) as session:
        replace_snapshot(
            session, as_of=as_of, mart=pa.Table.from_pylist([{c: getattr(row, c) for c in columns}])
        )


def test_after_an_import_and_a_write_back_the_worker_has_computed_everything_the_dashboard_shows(
    client_for, engine, seeded, computations
) -> None:  # type: ignore[no-untyped-def]
    client = client_for("marketer")
    with clock.frozen(NOW):
        _import_tickets(seeded, engine)
        _write_back(engine, dt.date(2026, 6, 1), "new")
        _write_back(engine, dt.date(2026, 7, 1), "active")
        _work(engine)
    assert computations, "the worker computed the reports"
    computations.clear()

    page = client.get("/dashboard")
    for chart in CHARTS:
        assert client.get(chart).status_code == 200
    assert computations == []
    assert "Показатели считаются" not in page.text and "Считается" not in page.text
    # July's two tickets of player 1003 are one purchase: the month so far on the cards.
    assert "Июль 2026, с начала месяца: 1" in page.text
    funnel = client.get("/api/v1/reports/funnel").json()["rows"]
    assert funnel == [[3, 2, 2, 1]]


def test_a_players_import_refreshes_the_reports_that_count_players(engine, seeded, computations) -> None:  # type: ignore[no-untyped-def]
    players = pa.table(
        {
            "id": pa.array([2001], pa.int64()),
            "last_name": ["Смирнова"],
            "first_name": ["Ольга"],
            "registered_at": pa.array([NOW], pa.timestamp("us", tz="UTC")),
            "registration_channel": ["website"],
        }
    )
    report = import_table(
        actor=Actor("import:tests"),
        kind="players",
        table=players,
        engine=engine,
        lake=Lake(seeded.lake_path),
        settings=seeded,
        now=NOW,
    )
    assert report.status == "loaded", report
    _work(engine)
    runner = ReportRunner(engine, lake=Lake(seeded.lake_path))
    stored = dict(zip(dashboard_reports(), runner.stored(list(dashboard_reports().values())), strict=True))
    assert all(stored[name] is not None for name in ("kpi", "cohorts", "funnel"))
    assert stored["funnel"].to_pylist()[0]["registered"] == 4


def test_without_a_worker_the_page_answers_from_what_is_stored_and_the_rest_loads(
    client_for, computations
) -> None:  # type: ignore[no-untyped-def]
    client = client_for("marketer")
    page = client.get("/dashboard").text
    assert computations == []  # nothing was stored, and the page computed nothing
    assert 'hx-get="/dashboard/cards"' in page and page.count("Считается: график появится") == len(CHARTS)

    cards = client.get("/dashboard/cards").text  # what the page loads next: computes the KPIs
    assert computations == [["kpi"]] and "Май 2026 — последний завершённый месяц" in cards
    assert client.get("/api/v1/reports/funnel").json()["rows"] == [[3, 2, 2, 1]]
    again = client.get("/dashboard").text
    assert 'hx-get="/dashboard/cards"' not in again and "Май 2026 — последний завершённый месяц" in again
    assert again.count("Считается: график появится") == len(CHARTS) - 2


def test_requests_missing_the_same_report_at_once_compute_it_once(
    engine, seeded, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    batches: list[list[str]] = []
    calculate = ReportRunner._calculate

    def slow(self, queries):  # type: ignore[no-untyped-def]
        batches.append([query.kind for query in queries])
        time.sleep(0.3)  # long enough for the other request to miss too
        return calculate(self, queries)

    monkeypatch.setattr(ReportRunner, "_calculate", slow)
    runner = ReportRunner(engine, lake=Lake(seeded.lake_path))
    results: list[pa.Table] = []
    asks: list[Callable[[], None]] = [lambda: results.append(runner.run(KpiQuery())) for _ in range(3)]
    threads = [threading.Thread(target=ask) for ask in asks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert batches == [["kpi"]]
    assert len(results) == 3 and results[0].equals(results[1]) and results[1].equals(results[2])
