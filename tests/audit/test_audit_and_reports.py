"""The audit log (append-only, searchable, self-logging) and the report numbers behind the dashboard."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from helpers.factories import analytics_record
from helpers.web_app import csrf_of, sign_in
from lottocrm.analytics.queries.registry import TICKET_REPORTS, report_query
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.audit import service as audit
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.auth.demo import create_demo_users, print_demo_users
from lottocrm.auth.models import ROLES
from lottocrm.catalog.models import Game
from lottocrm.cli.main import app as cli
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake


def test_admin_searches_the_log_and_the_search_is_logged(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client_for("operator").get("/players/1001")
    admin = client_for("admin")
    page = admin.get("/audit", params={"player_id": "1001", "action": "player.view"})
    assert page.status_code == 200
    table = page.text.split('id="audit-events"')[1]
    assert table.count("Operator (оператор)") == 1 and "Admin (администратор)" not in table
    with transaction(engine) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.search"))
        assert event is not None and event.actor == "user:admin" and event.player_id == 1001
    assert admin.get("/audit", params={"since": "yesterday"}).status_code == 400
    today = dt.date.today().isoformat()
    assert "Просмотр карточки игрока" in admin.get("/audit", params={"since": today, "until": today}).text


def test_the_log_refuses_updates_and_deletes(engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        audit.record(session, actor=Actor("user:x"), action="player.view", player_id=1)
    for statement in ("UPDATE audit_events SET actor = 'user:y'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), transaction(engine) as session:
            session.execute(text(statement))
    with transaction(engine) as session:
        assert session.scalar(select(AuditEvent.actor)) == "user:x"


def test_audit_row_rolls_back_with_the_change(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), transaction(engine) as session:
        audit.record(session, actor=Actor("user:x"), action="player.consent.change", player_id=1)
        raise RuntimeError("the change failed")
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_report_numbers(seeded, engine) -> None:  # type: ignore[no-untyped-def]
    runner = ReportRunner(engine, lake=Lake(seeded.lake_path))
    results = runner.run_all([report_query(name) for name in TICKET_REPORTS])
    reports = dict(zip(TICKET_REPORTS, results, strict=True))
    kpi = {row["month"].month: row for row in reports["kpi"].to_pylist()}
    assert kpi[1]["active_players"] == 2 and kpi[1]["new_players"] == 1 and kpi[1]["tickets"] == 4
    assert kpi[1]["revenue_kopecks"] == 35000 and kpi[1]["average_check_kopecks"] == 8750
    assert kpi[1]["frequency"] == 2.0
    assert kpi[3]["tickets"] == 4 and kpi[3]["active_players"] == 1 and kpi[3]["frequency"] == 3.0
    funnel = reports["funnel"].to_pylist()[0]
    assert funnel == {"registered": 3, "first_purchase": 2, "second_purchase": 2, "fifth_purchase": 1}
    cohorts = {(r["cohort"].month, r["age"]): r for r in reports["cohorts"].to_pylist()}
    assert cohorts[(1, 0)]["retention"] == 1.0 and cohorts[(1, 5)]["active_players"] == 1
    assert cohorts[(3, 0)]["retention"] == 0.0 if (3, 0) in cohorts else True
    games = reports["sales-by-game"].to_pylist()
    assert games[0]["game"] == "Русское лото" and games[0]["tickets"] == 15
    regions = {r["region"]: r["revenue_kopecks"] for r in reports["sales-by-region"].to_pylist()}
    assert regions == {"RU-MOW": 170000, "RU-SPE": 10000}
    channels = {r["channel"] for r in reports["sales-by-channel"].to_pylist()}
    assert channels == {"website", "retail_kiosk", "post_office"}


def test_report_api_and_cli(client_for, seeded) -> None:  # type: ignore[no-untyped-def]
    body = client_for("marketer").get("/api/v1/reports/funnel").json()
    assert body["columns"] == ["registered", "first_purchase", "second_purchase", "fifth_purchase"]
    assert client_for("marketer").get("/api/v1/reports/nope").status_code == 404
    dashboard = client_for("marketer").get("/dashboard")
    assert dashboard.status_code == 200 and 'data-report="cohorts"' in dashboard.text
    out = CliRunner().invoke(cli, ["report", "sales-by-region", "--csv"])
    assert out.exit_code == 0 and "RU-SPE,1,10000,0" in out.output
    assert CliRunner().invoke(cli, ["report", "nope"]).exit_code == 1


def test_segment_reports_say_what_to_run_before_any_mart(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("marketer")
    assert client.get("/api/v1/reports/segments/sizes").json()["rows"] == []
    migration = client.get("/api/v1/reports/segments/migration").json()
    assert migration["rows"] == [] and migration["earlier"] is None
    page = client.get("/dashboard?lang=en").text
    assert 'id="chart-segments"' in page and 'id="chart-migration"' in page
    assert "lottocrm mart --as-of DATE" in page


def test_segment_sizes_and_migration_between_the_two_latest_dates(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    first, second, third = dt.date(2026, 3, 4), dt.date(2026, 4, 1), dt.date(2026, 4, 29)
    with transaction(engine) as session:
        session.add_all(
            [
                analytics_record(1001, first, "new", 1),
                analytics_record(1001, second, "active", 1),
                analytics_record(1002, second, "active", 1),
                analytics_record(1001, third, "vip", 1),
                analytics_record(1002, third, "at_risk", 1),
                analytics_record(1003, third, "registered_no_purchase", 0),
            ]
        )
    client = client_for("marketer")
    sizes = client.get("/api/v1/reports/segments/sizes").json()
    assert sizes["columns"] == ["as_of", "segment", "players"]
    assert ["2026-04-01", "active", 2] in sizes["rows"] and ["2026-04-29", "vip", 1] in sizes["rows"]
    migration = client.get("/api/v1/reports/segments/migration").json()
    assert (migration["earlier"], migration["later"]) == ("2026-04-01", "2026-04-29")
    assert migration["rows"] == [
        ["active", "at_risk", 1],
        ["active", "vip", 1],
        ["not_registered", "registered_no_purchase", 1],
    ]
    named = re.search(r"data-segments='([^']*)'", client.get("/dashboard").text)
    assert named and dict(json.loads(named.group(1)))["deep_churn"] == "Давно ушедший"


def test_russian_by_default_english_on_request(anonymous, client_for) -> None:  # type: ignore[no-untyped-def]
    assert "Вход" in anonymous.get("/login").text
    assert "Sign in" in anonymous.get("/login", params={"lang": "en"}).text
    assert "Sign in" in anonymous.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    client = client_for("supervisor")
    page = client.get("/players/1001").text
    assert "Согласия" in page and "реклама" in page and "1\xa0500,00\xa0₽" in page
    client.post(
        "/lang", data={"csrf_token": csrf_of(client, "/players"), "locale": "en", "next": "/players/1001"}
    )
    english = client.get("/players/1001").text
    assert "Consents" in english and "advertising" in english


def test_demo_users_one_per_role_and_rerun_resets_them(engine, anonymous) -> None:  # type: ignore[no-untyped-def]
    first = create_demo_users(engine)
    again = create_demo_users(engine)
    assert sorted(u.role for u in again) == sorted(ROLES)
    assert all(a.password != b.password for a, b in zip(first, again, strict=True))
    lines: list[str] = []
    print_demo_users(again, url="http://127.0.0.1:8000/", echo=lines.append)
    assert len(lines) == 1 + len(ROLES) and again[0].password in lines[1]
    sign_in(anonymous, "demo-operator", again[0].password)


def test_report_csv_cells_cannot_run_as_formulas(seeded, engine) -> None:  # type: ignore[no-untyped-def]
    """A game named like a spreadsheet formula stays text in `lottocrm report … --csv`."""
    with transaction(engine) as session:
        session.execute(update(Game).where(Game.id == 1).values(name='=HYPERLINK("http://x")'))
    out = CliRunner().invoke(cli, ["report", "sales-by-game", "--csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.output)))
    assert [row[1] for row in rows if "HYPERLINK" in row[1]] == ['\'=HYPERLINK("http://x")']
