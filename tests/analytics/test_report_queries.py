"""Report parameters through the API and ``lottocrm report``: dates, grain and ticket filters give the numbers
worked out by hand from the seeded lake, and every bad value is refused with a message naming it."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from helpers.factories import analytics_record
from lottocrm.cli.main import app as cli
from lottocrm.db.engine import transaction

runner = CliRunner()


def _rows(client, path: str, **params: str) -> list[list]:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_sales_in_a_date_range(client_for) -> None:  # type: ignore[no-untyped-def]
    march = {"since": "2026-03-01", "until": "2026-03-31"}
    # Player 1001's three March tickets and the anonymous post-office ticket of 1 March.
    assert _rows(client_for("marketer"), "sales-by-channel", **march) == [
        ["retail_kiosk", 2, 20000, 1],
        ["post_office", 1, 10000, 0],
        ["website", 1, 5000, 1],
    ]


def test_kpi_filtered_by_channel_or_game_counts_only_those_sales(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("marketer")
    website = _rows(client, "kpi", channel="website")
    # One 50 ₽ website ticket (one purchase) of player 1001 a month, on the 11th; registrations are not
    # filtered by a sales channel. June holds the lake's latest sale: it is not complete.
    assert [row[3:] for row in website] == [[1, new, 1, 1, 5000, 5000, 1.0] for new in (1, 1, 1, 0, 0, 0)]
    assert [row[:3] for row in website] == [
        [f"2026-0{month}-01", month < 6, f"2026-0{month}-11"] for month in range(1, 7)
    ]
    assert _rows(client, "kpi", game="2") == website  # the website tickets are the game-2 tickets


def test_kpi_in_one_region_counts_its_sales_and_registrations(client_for) -> None:  # type: ignore[no-untyped-def]
    # Only the anonymous ticket was sold in Saint Petersburg, and no player there registered: no purchase,
    # so no average check or frequency (it was the ticket's price, 100 ₽, before checks were per purchase).
    assert _rows(client_for("marketer"), "kpi", region="RU-SPE") == [
        ["2026-03-01", True, "2026-03-01", 0, 0, 0, 1, 10000, None, None]
    ]


def test_kpi_by_week(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for("marketer").get(
        "/api/v1/reports/kpi", params={"grain": "week", "since": "2026-01-01", "until": "2026-01-31"}
    )
    body = response.json()
    assert body["columns"][0] == "week"
    # Weeks start on Monday: 5 January holds the 10th and 11th, 12 January the 12th.
    assert body["columns"][1:] == [
        "complete",
        "through",
        "active_players",
        "new_players",
        "purchases",
        "tickets",
        "revenue_kopecks",
        "average_check_kopecks",
        "frequency",
    ]
    assert body["rows"] == [
        ["2026-01-05", True, "2026-01-11", 2, 1, 3, 3, 25000, 8333, 1.5],
        ["2026-01-12", True, "2026-01-12", 1, 0, 1, 1, 10000, 10000, 1.0],
    ]


def test_cohorts_up_to_a_number_of_months(client_for) -> None:  # type: ignore[no-untyped-def]
    ages = {row[1] for row in _rows(client_for("marketer"), "cohorts", max_months="1")}
    assert ages == {0, 1}


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("kpi", {"channel": "fax"}, "channel: Input should be 'retail_kiosk'"),
        ("kpi", {"region": "Moscow"}, "'Moscow' is not a region code such as RU-MOW"),
        ("sales-by-game", {"game": "rusloto"}, "game: Input should be a valid integer"),
        (
            "sales-by-region",
            {"since": "2026-04-01", "until": "2026-03-01"},
            "since 2026-04-01 is after until",
        ),
        ("kpi", {"since": "yesterday"}, "since: Input should be a valid date"),
        ("kpi", {"grain": "year"}, "grain: Input should be 'day', 'week' or 'month'"),
        ("funnel", {"game": "1"}, "game is not a parameter of this report"),
        ("cohorts", {"max_months": "0"}, "max_months: Input should be greater than or equal to 1"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client_for, path: str, params: dict, message: str) -> None:  # type: ignore[no-untyped-def]
    response = client_for("marketer").get(f"/api/v1/reports/{path}", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == "analytics_input"
    assert message in response.json()["detail"]


def test_the_cli_takes_the_same_parameters(seeded) -> None:  # type: ignore[no-untyped-def]
    march = runner.invoke(
        cli, ["report", "sales-by-channel", "--since", "2026-03-01", "--until", "2026-03-31", "--csv"]
    )
    assert march.exit_code == 0, march.output
    assert march.stdout.splitlines() == [
        "channel,tickets,revenue_kopecks,players",
        "retail_kiosk,2,20000,1",
        "post_office,1,10000,0",
        "website,1,5000,1",
    ]
    refused = runner.invoke(cli, ["report", "kpi", "--channel", "fax"])
    assert refused.exit_code == 1
    assert "report kpi: channel: Input should be" in refused.stderr and "Traceback" not in refused.output
    unknown = runner.invoke(cli, ["report", "nope"])
    assert unknown.exit_code == 1 and "unknown report 'nope'" in unknown.stderr


def test_the_cli_prints_the_segment_reports_with_the_dates_compared(settings, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        session.add_all(
            [
                analytics_record(1001, dt.date(2026, 3, 4), "new", 1),
                analytics_record(1001, dt.date(2026, 4, 1), "active", 1),
            ]
        )
    migration = runner.invoke(cli, ["report", "segments/migration"])
    assert migration.exit_code == 0, migration.output
    # The title wraps to the width of the table.
    assert "segments/migration: 2026-03-04 → 2026-04-01" in " ".join(migration.stdout.split())
    sizes = runner.invoke(cli, ["report", "segments/sizes", "--csv"])
    assert sizes.stdout.splitlines() == ["as_of,segment,players", "2026-03-04,new,1", "2026-04-01,active,1"]
