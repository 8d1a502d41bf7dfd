"""One cache for every report: keyed by the query document and its sources' versions, never stale, and
filled ahead by the worker once a write-back of the analytical record commits."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sqlalchemy import select

from helpers.factories import analytics_record
from lottocrm import clock
from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.writeback import replace_snapshot
from lottocrm.analytics.queries.base import Source
from lottocrm.analytics.queries.cache import cache_key
from lottocrm.analytics.queries.kpi import KpiQuery
from lottocrm.analytics.queries.models import ReportCacheEntry
from lottocrm.analytics.queries.sales_by import SalesQuery
from lottocrm.analytics.queries.segment_migration import SegmentMigrationQuery
from lottocrm.db.engine import transaction
from lottocrm.events.delivery import worker_registry
from lottocrm.events.outbox import EVENTS_QUEUE
from lottocrm.jobs import service as jobs
from lottocrm.jobs.models import Job
from lottocrm.jobs.worker import Worker
from lottocrm.lake.store import Lake

MARCH, APRIL, MAY = dt.date(2026, 3, 4), dt.date(2026, 4, 1), dt.date(2026, 4, 29)
VERSIONS = {source: f"{source}-1" for source in Source}


def _entries(engine) -> list[tuple[str, str, str, dt.datetime]]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        rows = session.execute(
            select(
                ReportCacheEntry.kind,
                ReportCacheEntry.query_key,
                ReportCacheEntry.input_key,
                ReportCacheEntry.computed_at,
            ).order_by(ReportCacheEntry.kind)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _record(*segments: tuple[int, str]) -> pa.Table:
    """A mart as ``lottocrm mart`` hands it to the write-back: the record's columns without ``as_of``."""
    columns = [column.name for column in PlayerAnalytics.__table__.columns if column.name != "as_of"]
    rows = [analytics_record(player, MARCH, segment, 1) for player, segment in segments]
    return pa.Table.from_pylist([{name: getattr(row, name) for name in columns} for row in rows])


def _write(engine, as_of: dt.date, *segments: tuple[int, str]) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        replace_snapshot(session, as_of=as_of, mart=_record(*segments))


def _work(engine) -> None:  # type: ignore[no-untyped-def]
    Worker(engine, worker_registry(), queues=[EVENTS_QUEUE], run_schedules=False, poll_interval=0.05).run(
        once=True
    )


def test_the_key_follows_the_document_and_only_the_sources_it_reads() -> None:
    kpi = cache_key(KpiQuery(), VERSIONS)
    assert cache_key(KpiQuery(), VERSIONS) == kpi
    assert cache_key(KpiQuery(grain="month"), VERSIONS) == kpi  # the default, spelt out
    for other in (KpiQuery(channel="website"), KpiQuery(grain="week"), KpiQuery(since=MARCH)):
        assert cache_key(other, VERSIONS).query != kpi.query
    assert (
        cache_key(SalesQuery(by="game"), VERSIONS).query != cache_key(SalesQuery(by="region"), VERSIONS).query
    )
    newer_tickets = {**VERSIONS, Source.TICKETS: "tickets-2"}
    assert cache_key(KpiQuery(), newer_tickets).query == kpi.query
    assert cache_key(KpiQuery(), newer_tickets).inputs != kpi.inputs
    # KPIs do not read the record: a write-back leaves their stored results valid.
    assert cache_key(KpiQuery(), {**VERSIONS, Source.RECORD: "record-2"}) == kpi
    migration = cache_key(SegmentMigrationQuery(), VERSIONS)
    assert (
        cache_key(SegmentMigrationQuery(), {**VERSIONS, Source.RECORD: "record-2"}).inputs != migration.inputs
    )


def test_a_write_back_makes_the_segment_reports_recompute(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    _write(engine, MARCH, (1001, "new"), (1002, "active"))
    _write(engine, APRIL, (1001, "active"), (1002, "at_risk"))
    client = client_for("marketer")
    first = client.get("/api/v1/reports/segments/migration").json()
    assert first["rows"] == [["active", "at_risk", 1], ["new", "active", 1]]
    (entry,) = [e for e in _entries(engine) if e[0] == "segment_migration"]
    # Served from the cache: the same answer, the same entry.
    assert client.get("/api/v1/reports/segments/migration").json() == first
    assert [e for e in _entries(engine) if e[0] == "segment_migration"] == [entry]

    # A rerun of the same date that moves a player: same dates and row count, a new version.
    _write(engine, APRIL, (1001, "active"), (1002, "vip"))
    moved = client.get("/api/v1/reports/segments/migration").json()
    assert moved["rows"] == [["active", "vip", 1], ["new", "active", 1]]
    (replaced,) = [e for e in _entries(engine) if e[0] == "segment_migration"]
    assert replaced[1] == entry[1] and replaced[2] != entry[2]

    # A new as-of date: the pair compared moves on.
    _write(engine, MAY, (1001, "vip"))
    later = client.get("/api/v1/reports/segments/migration").json()
    assert (later["earlier"], later["later"]) == ("2026-04-01", "2026-04-29")
    sizes = client.get("/api/v1/reports/segments/sizes").json()
    assert ["2026-04-29", "vip", 1] in sizes["rows"]


def test_new_tickets_or_players_make_the_ticket_reports_recompute(
    client_for, engine, seeded, make_player
) -> None:  # type: ignore[no-untyped-def]
    client = client_for("marketer")
    before = client.get("/api/v1/reports/sales-by-region").json()["rows"]
    assert before == [["RU-MOW", 20, 170000, 2], ["RU-SPE", 1, 10000, 0]]
    assert client.get("/api/v1/reports/sales-by-region").json()["rows"] == before  # a hit

    Lake(seeded.lake_path).append("tickets", _one_ticket(), batch_id="one-more")
    after = client.get("/api/v1/reports/sales-by-region").json()["rows"]
    assert after == [["RU-MOW", 20, 170000, 2], ["RU-SPE", 2, 15000, 1]]
    (sales,) = [e for e in _entries(engine) if e[0] == "sales_by"]

    assert client.get("/api/v1/reports/funnel").json()["rows"] == [[3, 3, 2, 1]]
    with transaction(engine) as session:
        make_player(session)
    assert client.get("/api/v1/reports/funnel").json()["rows"] == [[4, 3, 2, 1]]
    # Sales do not read players: their entry is untouched.
    assert [e for e in _entries(engine) if e[0] == "sales_by"] == [sales]


def _one_ticket() -> pa.Table:
    """A ticket of player 1002 in Saint Petersburg, the first of that player."""
    sold_at = dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC)
    return pa.Table.from_pylist(
        [
            {
                "ticket_id": 999,
                "player_id": 1002,
                "game_id": 2,
                "draw_id": None,
                "channel": "app",
                "pos_id": None,
                "region": "RU-SPE",
                "price_kopecks": 5000,
                "sold_at": sold_at,
            }
        ]
    )


def test_the_worker_fills_the_cache_after_a_write_back_and_a_redelivery_computes_nothing(
    client_for, engine
) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)) as frozen:
        _write(engine, MARCH, (1001, "new"))
        _write(engine, APRIL, (1001, "active"))
        _work(engine)
        computed = {e[0]: e for e in _entries(engine)}
        assert set(computed) == {"segment_migration", "segment_sizes"}

        # The page is served what the worker computed: no new entry, no recomputation.
        frozen.advance(dt.timedelta(minutes=5))
        body = client_for("marketer").get("/api/v1/reports/segments/migration").json()
        assert body["rows"] == [["new", "active", 1]]
        assert {e[0]: e for e in _entries(engine)} == computed

        # Delivered again, as after a worker killed before it marked the job done: nothing is recomputed.
        with transaction(engine) as session:
            delivered = session.scalars(
                select(Job).where(Job.kind == "analytics.refresh_record_reports")
            ).all()
            assert len(delivered) == 2 and all(job.status == "done" for job in delivered)
            jobs.enqueue(session, kind=delivered[-1].kind, payload=delivered[-1].payload, queue=EVENTS_QUEUE)
        frozen.advance(dt.timedelta(minutes=5))
        _work(engine)
        assert {e[0]: e for e in _entries(engine)} == computed


def test_without_a_worker_the_page_computes_the_new_record_itself(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    _write(engine, MARCH, (1001, "new"))
    _write(engine, APRIL, (1001, "active"))
    client = client_for("marketer")
    assert client.get("/api/v1/reports/segments/migration").json()["rows"] == [["new", "active", 1]]
    _write(engine, APRIL, (1001, "vip"))  # its refresh job waits: no worker runs here
    assert client.get("/api/v1/reports/segments/migration").json()["rows"] == [["new", "vip", 1]]


def test_fewer_than_two_dates_is_cached_as_empty(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("marketer")
    for _ in range(2):
        body = client.get("/api/v1/reports/segments/migration").json()
        assert body["rows"] == [] and body["earlier"] is None
    assert [e[0] for e in _entries(engine)] == ["segment_migration"]
