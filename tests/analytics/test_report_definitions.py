"""What the dashboard's measures mean, on a lake small enough to count on paper (Moscow time).

A purchase is one player's tickets of one operator day; the average check is spend per purchase, the same
measure the analytical record (and so the player 360) holds; periods are the operator's calendar; the month
of the latest sale is marked as not complete, and the cards show the last complete month.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sqlalchemy import Engine

from helpers.factories import make_users
from lottocrm.analytics.extracts import players_extract
from lottocrm.analytics.mart.build import MartBuilder, MartOptions
from lottocrm.analytics.queries.base import Source
from lottocrm.analytics.queries.cache import cache_key
from lottocrm.analytics.queries.cohorts import CohortsQuery
from lottocrm.analytics.queries.funnel import FunnelQuery
from lottocrm.analytics.queries.kpi import KpiQuery
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.db.engine import transaction
from lottocrm.lake.schemas import TICKETS
from lottocrm.lake.store import Lake
from lottocrm.players.models import Player
from lottocrm.settings import Settings

MOSCOW = dt.timezone(dt.timedelta(hours=3))
REGISTERED = {
    1: dt.date(2026, 1, 10),
    2: dt.date(2026, 1, 20),
    3: dt.date(2026, 2, 2),
    4: dt.date(2026, 3, 1),
    5: dt.date(2026, 1, 5),  # never buys
}
# (player, Moscow day, Moscow time, price)
SALES = [
    # Player 1: three tickets on 15 January (the last at 23:30, still the 15th in Moscow), one on the 20th.
    (1, dt.date(2026, 1, 15), dt.time(10, 0), 10_000),
    (1, dt.date(2026, 1, 15), dt.time(10, 1), 10_000),
    (1, dt.date(2026, 1, 15), dt.time(23, 30), 5_000),
    (1, dt.date(2026, 1, 20), dt.time(12), 10_000),
    # Player 2: 31 January at 23:30, then 1 February at 01:30 — 31 January 22:30 in UTC.
    (2, dt.date(2026, 1, 31), dt.time(23, 30), 20_000),
    (2, dt.date(2026, 2, 1), dt.time(1, 30), 10_000),
    # Player 3: two tickets at once — one purchase, so the funnel's first step only.
    (3, dt.date(2026, 2, 3), dt.time(12), 5_000),
    (3, dt.date(2026, 2, 3), dt.time(12), 5_000),
    (None, dt.date(2026, 2, 3), dt.time(12), 10_000),
    # The latest sale: March is under way.
    (4, dt.date(2026, 3, 2), dt.time(12), 10_000),
]


def _moscow(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=MOSCOW).astimezone(dt.UTC)


def write_players(engine: Engine) -> None:
    with transaction(engine) as session:
        for player_id, day in REGISTERED.items():
            registered_at = _moscow(day, dt.time(9))
            session.add(
                Player(
                    id=player_id,
                    last_name="Иванов",
                    first_name=f"Игрок {player_id}",
                    search_name=f"иванов игрок {player_id}",
                    region="RU-MOW",
                    registered_at=registered_at,
                    registration_channel="website",
                    created_at=registered_at,
                )
            )


def write_lake(lake: Lake) -> None:
    rows = [
        {
            "ticket_id": number,
            "player_id": player,
            "game_id": 1,
            "draw_id": None,
            "channel": "retail_kiosk",
            "pos_id": None,
            "region": "RU-MOW",
            "price_kopecks": price,
            "sold_at": _moscow(day, at),
        }
        for number, (player, day, at, price) in enumerate(SALES, start=1)
    ]
    lake.append("tickets", pa.Table.from_pylist(rows, schema=TICKETS.schema), batch_id="definitions")


@pytest.fixture
def seeded(settings: Settings, engine: Engine) -> Settings:
    """This module's players and lake in place of the shared seed (the web app fixtures build on it)."""
    make_users(engine)
    write_players(engine)
    write_lake(Lake(settings.lake_path))
    return settings


@pytest.fixture
def runner(seeded: Settings, engine: Engine) -> ReportRunner:
    return ReportRunner(engine, lake=Lake(seeded.lake_path))


def test_kpis_count_purchases_in_operator_months_and_mark_the_month_under_way(runner) -> None:  # type: ignore[no-untyped-def]
    rows = runner.run(KpiQuery()).to_pylist()
    assert [row["month"] for row in rows] == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    january, february, march = rows
    # Five January tickets (player 2's 01:30 ticket is February's in Moscow) in three purchases: player 1's
    # 15th and 20th, player 2's 31st. The average check is spend per purchase, not per ticket (11 000).
    assert january == {
        "month": dt.date(2026, 1, 1),
        "complete": True,
        "through": dt.date(2026, 1, 31),
        "active_players": 2,
        "new_players": 3,
        "purchases": 3,
        "tickets": 5,
        "revenue_kopecks": 55_000,
        "average_check_kopecks": 18_333,
        "frequency": 1.5,
    }
    # The anonymous ticket is revenue, not a purchase: the check is (10 000 + 10 000) / 2 purchases.
    assert (february["tickets"], february["revenue_kopecks"], february["purchases"]) == (4, 30_000, 2)
    assert (february["average_check_kopecks"], february["complete"]) == (10_000, True)
    assert (march["complete"], march["through"], march["purchases"]) == (False, dt.date(2026, 3, 2), 1)


def test_days_in_filters_are_operator_days_and_the_zone_is_part_of_the_document(runner) -> None:  # type: ignore[no-untyped-def]
    first_of_february = dt.date(2026, 2, 1)
    (only,) = runner.run(KpiQuery(since=first_of_february, until=first_of_february, grain="day")).to_pylist()
    assert (only["day"], only["tickets"], only["revenue_kopecks"]) == (first_of_february, 1, 10_000)
    # Counted in UTC, player 2's two tickets fall on 31 January: one purchase, January's.
    utc = runner.run(KpiQuery(timezone="UTC")).to_pylist()
    assert (utc[0]["tickets"], utc[0]["purchases"]) == (6, 3)
    versions = dict.fromkeys(Source, "v1")
    assert cache_key(KpiQuery(timezone="UTC"), versions) != cache_key(KpiQuery(), versions)


def test_the_funnel_counts_purchases_not_tickets(runner) -> None:  # type: ignore[no-untyped-def]
    # Player 3's two tickets of 3 February are one purchase: players 1 and 2 alone came back.
    assert runner.run(FunnelQuery()).to_pylist() == [
        {"registered": 5, "first_purchase": 4, "second_purchase": 2, "fifth_purchase": 0}
    ]


def test_cohort_cells_of_the_month_under_way_are_not_complete(runner) -> None:  # type: ignore[no-untyped-def]
    cells = {
        (r["cohort"].month, r["age"]): (r["retention"], r["complete"])
        for r in runner.run(CohortsQuery()).to_pylist()
    }
    assert cells == {
        (1, 0): (0.6667, True),
        (1, 1): (0.3333, True),
        (2, 0): (1.0, True),
        (3, 0): (1.0, False),
    }


def test_the_dashboards_average_check_is_the_records(runner, engine, seeded) -> None:  # type: ignore[no-untyped-def]
    builder = MartBuilder(
        lake=Lake(seeded.lake_path),
        players=players_extract(engine),
        options=MartOptions(timezone="Europe/Moscow"),
    )
    try:
        record = {row["player_id"]: row for row in builder.build(dt.date(2026, 2, 1)).to_pylist()}
    finally:
        builder.close()
    # The 360 shows player 1's January: 35 000 over two purchases.
    assert (record[1]["monetary_kopecks"], record[1]["frequency"], record[1]["average_check_kopecks"]) == (
        35_000,
        2,
        17_500,
    )
    # Pooled over January's buyers, the record's spend per purchase is the dashboard's January check.
    buyers = [row for row in record.values() if row["frequency"]]
    pooled = sum(row["monetary_kopecks"] for row in buyers) // sum(row["frequency"] for row in buyers)
    assert pooled == runner.run(KpiQuery()).to_pylist()[0]["average_check_kopecks"] == 18_333


def test_the_cards_show_the_last_complete_month_and_the_month_so_far(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("marketer")
    client.get("/api/v1/reports/kpi")  # computed, so the page shows the cards at once
    page = client.get("/dashboard").text
    assert "Февраль 2026 — последний завершённый месяц" in page
    assert "Март 2026, с начала месяца: 1" in page
    assert "Март 2026 ещё не закончился: его показатели учитывают продажи по 2 мар. 2026\u202fг.<" in page
    # Each card says what it counts, in the reader's language.
    assert 'title="Сумма на одну покупку: траты игроков за период, делённые на число их покупок.' in page
    assert "Покупок на активного игрока" in page and "Spend per purchase" not in page
    assert "по календарю оператора (часовой пояс: Москва)" in page
    english = client.get("/dashboard?lang=en").text
    assert "February 2026, the last complete month" in english and "March 2026 so far: 1" in english
