"""The analytical-record panel of the player 360: the latest `player_analytics` row, only when one exists."""

from __future__ import annotations

import datetime as dt

from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.db.engine import transaction


def _record(as_of: dt.date, segment: str, monetary_kopecks: int) -> PlayerAnalytics:
    return PlayerAnalytics(
        as_of=as_of,
        player_id=1001,
        region="77",
        days_since_registration=120,
        first_purchase_on=dt.date(2026, 1, 12),
        last_purchase_on=as_of - dt.timedelta(days=3),
        recency_days=3,
        tenure_days=100,
        frequency=12,
        tickets=30,
        monetary_kopecks=monetary_kopecks,
        average_check_kopecks=monetary_kopecks // 12,
        spend_30d_kopecks=50_000,
        spend_90d_kopecks=1_500_000,
        spend_trend_30d=1.25,
        favourite_game_id=1,
        favourite_game_share=0.8,
        wins_count=0,
        wins_kopecks=0,
        segment=segment,
        r_level=5,
        f_level=4,
        m_level=3,
    )


def test_analytics_panel_shows_the_latest_record_only_when_there_is_one(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        session.add_all(
            [
                _record(dt.date(2026, 4, 1), "active", 100_000),
                _record(dt.date(2026, 4, 29), "vip", 1_234_567),
            ]
        )
    client = client_for("operator")

    panels = client.get("/api/v1/players/1001").json()["panels"]
    assert [p["key"] for p in panels] == ["analytics"]
    rows = dict(map(tuple, panels[0]["rows"]))
    assert rows["As of"] == "2026-04-29"
    assert rows["Lifecycle segment"] == "VIP"
    assert rows["RFM levels"] == "R5 · F4 · M3"
    assert rows["Days since last purchase"] == "3"
    assert rows["Purchase days"] == "12"
    assert rows["Spend"] == "12\u00a0345.67 ₽"
    assert rows["Average check"] == "1\u00a0028.80 ₽"
    assert rows["Favourite game"] == "Русское лото"
    assert rows["Spend trend, 30 days"] == "×1.25"
    assert client.get("/api/v1/players/1003").json()["panels"] == []

    page = client.get("/players/1001?lang=ru").text
    assert "panel-analytics" in page and "Сегмент жизненного цикла" in page
    assert "panel-analytics" not in client.get("/players/1003").text
    assert "Lifecycle segment" in client.get("/players/1001?lang=en").text
