"""``/call-list`` as operators use it: open tasks of a queue, paged, the phone as the role may see it, a
task closed with an outcome (audited); in Russian at 1366 px in real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from helpers.factories import PASSWORD
from helpers.web_app import csrf_of
from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import make_engine, transaction
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.call_list.queue import operator_day
from web.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (server: a fixture)

SHOTS = Path("/work/shots/delivery")


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


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_the_call_list_reads_russian_at_1366(server: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'crm.sqlite3'}")
    _tasks(engine, 3)
    engine.dispose()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--lang=ru"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="ru-RU")
        page.goto(f"{server}/login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{server}/call-list")
        text = page.inner_text("main")
        page.screenshot(path=str(SHOTS / "call-list-ru.png"), full_page=True)
        page.select_option("#call-list select[name=outcome] >> nth=0", "reached")
        page.click("#call-list button[type=submit] >> nth=0")
        after = page.inner_text("main")
        page.screenshot(path=str(SHOTS / "call-list-closed-ru.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        browser.close()
    assert "Список звонков" in text and "дозвонились" in text and "+79161234512" in text
    assert not re.search(r"\b(Call|Outcome|Close task|reached|no_answer|outbound calls)\b", text)
    assert "закрыта" in after and width <= 1366
