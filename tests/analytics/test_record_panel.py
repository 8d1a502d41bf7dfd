"""The analytical-record panel of the player 360: the latest `player_analytics` row, only when one exists."""

from __future__ import annotations

import datetime as dt

from helpers.factories import analytics_record
from lottocrm.db.engine import transaction


def test_analytics_panel_shows_the_latest_record_only_when_there_is_one(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        session.add_all(
            [
                analytics_record(1001, dt.date(2026, 4, 1), "active", 100_000),
                analytics_record(1001, dt.date(2026, 4, 29), "vip", 1_234_567),
            ]
        )
    client = client_for("operator")

    panels = client.get("/api/v1/players/1001").json()["panels"]
    assert [p["key"] for p in panels] == ["contactable", "analytics"]
    rows = dict(map(tuple, panels[1]["rows"]))
    assert rows["As of"] == "2026-04-29"
    assert rows["Lifecycle segment"] == "VIP"
    assert rows["RFM levels"] == "R5 · F4 · M3"
    assert rows["Days since last purchase"] == "3"
    assert rows["Purchase days"] == "12"
    assert rows["Spend"] == "12\u00a0345.67 ₽"
    assert rows["Average check"] == "1\u00a0028.80 ₽"
    assert rows["Favourite game"] == "Русское лото"
    assert rows["Spend trend, 30 days"] == "×1.25"
    # A player with no analytical record has only the contact policy's panel, which every player has.
    assert [p["key"] for p in client.get("/api/v1/players/1003").json()["panels"]] == ["contactable"]

    page = client.get("/players/1001?lang=ru").text
    assert "panel-analytics" in page and "Сегмент жизненного цикла" in page
    assert "panel-analytics" not in client.get("/players/1003").text
    assert "Lifecycle segment" in client.get("/players/1001?lang=en").text


def test_panel_text_with_a_percent_sign_or_markup_renders_as_plain_text(app, client_for) -> None:  # type: ignore[no-untyped-def]
    """Panel labels and values are looked up in the catalog, never %-formatted (a "45 %" once gave a 500)."""
    from lottocrm.presentation.values import PanelOut

    def provider(session, *, player_id):  # type: ignore[no-untyped-def]
        rows = [("Most likely games", "Лото 45 % · Спортлото 10%"), ("Why this game", "<b>%(x)s</b>")]
        return [PanelOut(key="probe", title="Games and offers", rows=rows)]

    app.state.player_panels = (provider,)
    response = client_for("operator").get("/players/1001?lang=ru")
    assert response.status_code == 200
    assert "Лото 45 % · Спортлото 10%" in response.text
    assert "&lt;b&gt;%(x)s&lt;/b&gt;" in response.text
