"""The audit search: by part of a person's name, by an action chosen from a list, paged, exported as CSV
through the shared writer (and the export audited); on the 360, changes and views listed apart."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape

from sqlalchemy import select

from helpers.web_app import csrf_of
from lottocrm.audit import service as audit
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.db.engine import transaction

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
FORMULA = '=HYPERLINK("http://evil","x")'


def _maria(engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        auth.create_user(
            session,
            actor=Actor("cli:root"),
            username="m.ivanova",
            role="operator",
            password="a long enough password",
            display_name="Мария Иванова",
        )


def _rows(engine, count: int, *, actor: str = "user:m.ivanova", action: str = "player.view") -> None:  # type: ignore[no-untyped-def]
    """``count`` rows a minute apart, the newest last; every tenth with a reason that looks like a formula."""
    with transaction(engine) as session:
        for n in range(count):
            session.add(
                AuditEvent(
                    occurred_at=T0 + dt.timedelta(minutes=n),
                    actor=actor,
                    action=action,
                    player_id=1001,
                    detail={"n": n, **({"reason": FORMULA} if n % 10 == 0 else {})},
                    ip="10.0.0.1",
                )
            )


def _table(html: str) -> str:
    return html.split('id="audit-events"')[1].split("</table>")[0]


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"<b>n:</b> (\d+)", html)]


def test_the_search_finds_a_person_by_part_of_their_name_in_any_case(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    _maria(engine)
    _rows(engine, 3)
    _rows(engine, 2, actor="user:operator")
    admin = client_for("admin")
    for who in ("мария", "ИВАНОВА", "m.iva"):
        page = admin.get("/audit", params={"who": who, "action": "player.view"}).text
        assert len(_numbers(page)) == 3, who
        assert "Мария Иванова (оператор)" in unescape(page)
    assert _numbers(admin.get("/audit", params={"who": "user:operator", "action": "player.view"}).text) == [
        1,
        0,
    ]
    assert "Ничего не найдено" in admin.get("/audit", params={"who": "никто"}).text


def test_actions_are_chosen_by_their_label_and_by_changes_or_views(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client_for("operator").get("/players/1001")
    admin = client_for("admin")
    page = unescape(admin.get("/audit").text)
    assert '<option value="player.view">Просмотр карточки игрока</option>' in page
    assert '<option value="changes">Все изменения</option>' in page
    views = _table(admin.get("/audit", params={"player_id": "1001", "action": "views"}).text)
    changes = _table(admin.get("/audit", params={"player_id": "1001", "action": "changes"}).text)
    assert "Просмотр карточки игрока" in views and "Добавление контакта" not in views
    assert "Добавление контакта" in changes and "Просмотр карточки игрока" not in changes
    assert admin.get("/audit", params={"action": "player.nonsense"}).status_code == 400


def test_results_are_paged_without_losing_or_repeating_a_row(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    _maria(engine)
    _rows(engine, 120)
    admin = client_for("admin")
    seen: list[int] = []
    url = "/audit?who=мария"
    for _ in range(3):
        page = admin.get(url).text
        seen += _numbers(page)
        older = re.search(r'href="(/audit\?[^"]+)" id="audit-older"', page)
        if older is None:
            break
        url = unescape(older.group(1))
    assert seen == list(range(119, -1, -1))
    assert admin.get("/audit", params={"after": "yesterday"}).status_code == 400


def test_the_whole_filtered_result_is_exported_safely_and_the_export_audited(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    _maria(engine)
    _rows(engine, 120)
    _rows(engine, 5, actor="user:operator")
    admin = client_for("admin")
    page = admin.get("/audit", params={"who": "мария", "action": "player.view"}).text
    link = re.search(r'<a href="(/audit/export\.csv[^"]*)" id="audit-export"', page)
    assert link
    answer = admin.get(unescape(link.group(1)))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:5] == ["Когда", "Кто", "Код исполнителя", "Действие", "Код действия"]
    assert len(rows) == 1 + 120
    assert {row[2] for row in rows[1:]} == {"user:m.ivanova"}
    assert rows[1][1] == "Мария Иванова (оператор)" and rows[1][3] == "Просмотр карточки игрока"
    reasons = [row[7] for row in rows[1:] if "HYPERLINK" in row[7]]
    # The formula sits inside a longer cell here; a cell that starts with one is neutralised by the writer.
    assert len(reasons) == 12 and all(not cell.startswith("=") for row in rows for cell in row)
    with transaction(engine) as session:
        export = session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.export"))
        assert export is not None and export.actor == "user:admin"
        assert export.detail == {"actor": ["user:m.ivanova", "cli:мария"], "action": "player.view"}
    refused = admin.get("/audit/export.csv", params={"player_id": "один"})
    assert refused.status_code == 400 and "Выгрузка невозможна: ID игрока — это число." in unescape(
        refused.text
    )


def test_an_export_cell_that_starts_with_a_formula_is_neutralised(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    _rows(engine, 1, actor=FORMULA)
    rows = list(
        csv.reader(io.StringIO(client_for("admin").get("/audit/export.csv", params={"who": FORMULA}).text))
    )
    assert rows[1][2] == "'" + FORMULA


def test_the_360_lists_changes_and_views_apart(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    operator = client_for("operator")
    csrf = csrf_of(operator, "/players/1001")
    operator.post(
        "/players/1001/consents",
        data={
            "csrf_token": csrf,
            "purpose": "advertising",
            "channel": "sms",
            "granted": "no",
            "reason": "по звонку",
        },
    )
    for _ in range(25):
        operator.get("/players/1001")
    page = unescape(operator.get("/players/1001").text)
    changes = page.split('id="player-changes"')[1].split("</section>")[0]
    views = page.split('id="player-views"')[1].split("</section>")[0]
    assert "Изменение согласия" in changes and "по звонку" in changes
    assert "Просмотр карточки игрока" not in changes
    assert views.count("Просмотр карточки игрока") == 10
    older = re.search(r'hx-get="(/players/1001/access/views\?after=[^"]+)"', views)
    assert older
    second = operator.get(unescape(older.group(1)))
    assert second.status_code == 200 and second.text.count("Просмотр карточки игрока") == 10
    assert "/audit?player_id=1001" not in page  # an operator may not search the log: no link to it
    supervisor = unescape(client_for("supervisor").get("/players/1001").text)
    assert 'href="/audit?player_id=1001&action=changes"' in supervisor
    assert client_for("analyst").get("/players/1001/access/views").status_code == 404
    with transaction(engine) as session:
        searched = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "audit.search", AuditEvent.actor == "user:operator")
        )
        assert searched is not None and searched.player_id == 1001 and searched.detail["scope"] == "views"


def test_audit_cursor_round_trip() -> None:
    cursor = audit.Cursor(at=T0, id=42)
    assert audit.Cursor.decode(cursor.encode()) == cursor
