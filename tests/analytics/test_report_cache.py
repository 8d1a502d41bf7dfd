"""The dashboard's segment migration is served from report_cache until the analytical record changes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from helpers.factories import analytics_record
from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.reports.models import ReportCacheEntry
from lottocrm.analytics.reports.segments import MIGRATION_REPORT
from lottocrm.db.engine import transaction

MARCH, APRIL, MAY = dt.date(2026, 3, 4), dt.date(2026, 4, 1), dt.date(2026, 4, 29)


def _cache(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return [tuple(r) for r in session.execute(select(ReportCacheEntry.name, ReportCacheEntry.input_key))]


def test_cached_until_the_mart_writes_back(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        session.add_all(
            [
                analytics_record(1001, MARCH, "new", 1),
                analytics_record(1002, MARCH, "active", 1),
                analytics_record(1001, APRIL, "active", 1),
                analytics_record(1002, APRIL, "at_risk", 1),
            ]
        )
    client = client_for("marketer")
    first = client.get("/api/v1/reports/segments/migration").json()
    assert first["rows"] == [["active", "at_risk", 1], ["new", "active", 1]]
    (entry,) = _cache(engine)
    assert entry[0] == MIGRATION_REPORT
    # Served from the cache: the same answer, the same entry.
    assert client.get("/api/v1/reports/segments/migration").json() == first
    assert _cache(engine) == [entry]

    # A re-run for the same date that moves a player: same count, new checksum.
    with transaction(engine) as session:
        session.execute(
            update(PlayerAnalytics)
            .where(PlayerAnalytics.player_id == 1002, PlayerAnalytics.as_of == APRIL)
            .values(segment="vip")
        )
    moved = client.get("/api/v1/reports/segments/migration").json()
    assert moved["rows"] == [["active", "vip", 1], ["new", "active", 1]]
    (replaced,) = _cache(engine)
    assert replaced != entry

    # A new as-of date: the pair compared moves on.
    with transaction(engine) as session:
        session.add(analytics_record(1001, MAY, "vip", 1))
    later = client.get("/api/v1/reports/segments/migration").json()
    assert (later["earlier"], later["later"]) == ("2026-04-01", "2026-04-29")
    assert len(_cache(engine)) == 1 and _cache(engine) != [replaced]


def test_fewer_than_two_dates_is_cached_as_empty(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("marketer")
    for _ in range(2):
        body = client.get("/api/v1/reports/segments/migration").json()
        assert body["rows"] == [] and body["earlier"] is None
    assert len(_cache(engine)) == 1
