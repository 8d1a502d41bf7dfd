"""``/call-list`` as operators use it: open tasks of a queue under its name, paged, the phone as the role may
see it, what to say, a task closed with an outcome (audited); a call the gate stops since it was filed is
withdrawn, never shown, and one closed as "reached" after it is withdrawn with the reason; in Russian at
1366 px in real headless Chromium."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from helpers.call_tasks import SCRIPT, file_calls, grant_calls, queue_calls, tasks_of
from helpers.factories import IMPORT, PASSWORD
from helpers.live_server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from helpers.web_app import csrf_of
from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.db.engine import make_engine, transaction
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.call_list.queue import operator_day
from lottocrm.players import consents, responsible_gaming
from lottocrm.players import service as players

SHOTS = ARTIFACTS
# A Tuesday, 11:00 in Moscow: the calls of these tests are filed then (a working day, inside calling hours)
# and are open on the list from then on.
FILED = dt.datetime(2026, 3, 10, 11, 0, tzinfo=clock.zone_named("Europe/Moscow"))


def _real_tasks(engine: Engine) -> list[int]:
    """Calls filed through the gate and the dispatcher for Фёдоров (1001) and Петров (1003, given a phone
    and consents); their message ids."""
    with transaction(engine) as session:
        players.add_identity(session, actor=IMPORT, player_id=1003, kind="phone", value="+7 903 111-22-33")
    grant_calls(engine, [1001])
    grant_calls(engine, [1003], personal_data=True)
    messages = queue_calls(engine, [1001, 1003], FILED)
    assert file_calls(engine, FILED).sent == 2
    return messages


def _withdraw_calls(engine: Engine, player_id: int) -> None:
    with transaction(engine) as session:
        consents.record_consent(
            session,
            actor=IMPORT,
            player_id=player_id,
            purpose="advertising",
            channel="call",
            granted=False,
            source="call_centre",
            notice_version="2025-01",
            occurred_at=clock.now(),
        )


def _tasks(engine: Engine, count: int) -> None:
    now = clock.now()
    with transaction(engine) as session:
        session.add_all(
            CallTask(
                message_id=10_000 + n,
                player_id=1001,
                phone="+79161234512",
                queue="outbound",
                due_day=operator_day(now),
                status="open",
                created_at=now,
            )
            for n in range(count)
        )


def test_operators_page_the_open_calls_and_close_one(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _tasks(engine, 55)
    operator = client_for("operator")
    first = operator.get("/call-list?lang=ru")
    assert first.status_code == 200 and "+79161234512" in first.text
    assert first.text.count('action="/call-list/') == 50 and "page=2" in first.text
    second = operator.get("/call-list?page=2")
    assert second.text.count('action="/call-list/') == 5
    assert client_for("analyst").get("/call-list").status_code == 403
    assert client_for("marketer").get("/call-list").status_code == 403
    task_id = int(re.search(r'action="/call-list/(\d+)/close"', first.text).group(1))  # type: ignore[union-attr]
    token = csrf_of(operator, "/call-list")
    bad = operator.post(f"/call-list/{task_id}/close", data={"outcome": "maybe", "csrf_token": token})
    closed = operator.post(f"/call-list/{task_id}/close", data={"outcome": "no_answer", "csrf_token": token})
    again = operator.post(f"/call-list/{task_id}/close", data={"outcome": "reached", "csrf_token": token})
    assert (bad.status_code, closed.status_code, again.status_code) == (400, 303, 409)
    with transaction(engine) as session:
        assert session.get(CallTask, task_id).outcome == "no_answer"
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "messaging.call_task.close")
        ).one()
        assert event.actor.endswith("operator") and event.detail["task_id"] == task_id


def test_the_list_names_the_queue_says_what_to_say_and_withdraws_stopped_calls(
    client_for, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    fedorov, petrov = _real_tasks(engine)
    tasks = tasks_of(engine, [fedorov, petrov])
    operator = client_for("operator")
    page = operator.get("/call-list")
    assert page.status_code == 200
    assert "Исходящие звонки" in page.text and "outbound" not in page.text.replace("queue=outbound", "")
    assert page.text.count(SCRIPT) == 2 and 'href="tel:+79161234512"' in page.text
    assert "+7 916 123-45-12" in page.text and 'href="/call-list"' in page.text  # the menu leads here
    # Before the calling hours in the player's own zone: the list says from when to call.
    with clock.frozen(dt.datetime(2026, 3, 11, 7, 30, tzinfo=FILED.tzinfo)):
        early = operator.get("/call-list")
    assert early.text.count("звонить с 09:00") == 2 and "07:30" in early.text
    # Фёдоров self-excludes: no worker runs here, the list itself asks the gate and withdraws his call.
    with transaction(engine) as session:
        responsible_gaming.change_responsible_gaming(
            session,
            actor=IMPORT,
            player_id=1001,
            self_excluded_until=dt.date(2099, 1, 1),
            monthly_spend_limit_kopecks=None,
        )
    page = operator.get("/call-list")
    assert f'action="/call-list/{tasks[fedorov].id}/close"' not in page.text
    assert f'action="/call-list/{tasks[petrov].id}/close"' in page.text
    assert "Сняты звонки, которые контактная политика больше не разрешает" in page.text
    # Петров withdraws his consent while the operator is on the phone: "reached" withdraws the task instead.
    token = csrf_of(operator, "/call-list")
    _withdraw_calls(engine, 1003)
    closed = operator.post(
        f"/call-list/{tasks[petrov].id}/close", data={"outcome": "reached", "csrf_token": token}
    )
    assert closed.status_code == 303 and f"stopped={tasks[petrov].id}" in closed.headers["location"]
    notice = operator.get(closed.headers["location"])
    assert f"Звонок по задаче {tasks[petrov].id} снят" in notice.text and "Не звоните игроку" in notice.text
    assert "В этой очереди нет открытых звонков." in notice.text
    with transaction(engine) as session:
        blocked = session.execute(
            select(ContactHistory.message_id, ContactHistory.reason).where(
                ContactHistory.outcome == "blocked"
            )
        ).all()
        statuses = dict(session.execute(select(CallTask.message_id, CallTask.status)).all())
    assert sorted(blocked) == sorted([(fedorov, "self_excluded"), (petrov, "consent_withdrawn")])
    assert statuses == {fedorov: "cancelled", petrov: "cancelled"}


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_the_call_list_reads_russian_at_1366(server: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'crm.sqlite3'}")
    _real_tasks(engine)
    _tasks(engine, 1)  # one left over, without a message: the list still shows it
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--lang=ru"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="ru-RU")
        page.goto(f"{server}/login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.click("nav >> text=Список звонков")
        text = page.inner_text("main")
        page.screenshot(path=str(SHOTS / "call-list-ru.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.select_option("#call-list select[name=outcome] >> nth=0", "no_answer")
        page.click("#call-list button[type=submit] >> nth=0")
        after = page.inner_text("main")
        page.screenshot(path=str(SHOTS / "call-list-closed-ru.png"), full_page=True)
        # Петров withdraws his consent while the operator talks to him: "reached" withdraws the call.
        _withdraw_calls(engine, 1003)
        page.select_option("#call-list select[name=outcome] >> nth=0", "reached")
        page.click("#call-list button[type=submit] >> nth=0")
        withdrawn = page.inner_text("main")
        page.screenshot(path=str(SHOTS / "call-list-withdrawn-ru.png"), full_page=True)
        browser.close()
    engine.dispose()
    assert "Список звонков: Исходящие звонки" in text and "дозвонились" in text and SCRIPT in text
    assert "+7 916 123-45-12" in text and "Время игрока" in text and "Что сказать" in text
    assert not re.search(r"\b(Call|Outcome|Close task|reached|no_answer|outbound)\b", text)
    assert "закрыта" in after and width <= 1366
    assert "снят: согласие на рекламу отозвано" in withdrawn and "Не звоните игроку" in withdrawn


def test_closing_a_task_that_does_not_exist_says_so(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    operator = client_for("operator")
    token = csrf_of(operator, "/call-list")
    for task_id in ("424242", "99999999999999999999", "abc"):
        answer = operator.post(
            f"/call-list/{task_id}/close", data={"outcome": "reached", "csrf_token": token}
        )
        assert answer.status_code in (404, 422), (task_id, answer.status_code)
        assert "Traceback" not in answer.text
    # A template version number past the column's range: refused, not a database error.
    version = client_for("marketer").get("/templates/welcome/versions/99999999999")
    assert version.status_code in (404, 422) and "Traceback" not in version.text
