"""The journeys pages in Russian: the list, and one journey with its steps, what happened at each, its
effect against the control and its versions; in headless Chromium at 1 366 px for a person to look at."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from helpers.live_server import ARTIFACTS, CHROMIUM, russian_page
from lottocrm.db.engine import transaction
from lottocrm.marketing.journeys import live, runner, service
from lottocrm.marketing.journeys.labels import NOT_SENT, OUTCOMES, STEP_KINDS, TRIGGERS
from lottocrm.player_events import service as player_events
from lottocrm.web.i18n import translations
from marketing.campaigns.helpers import APPROVER, AUTHOR, published_template
from marketing.test_journey_engine import welcome


def test_every_journey_word_reads_in_russian() -> None:
    russian = translations("ru")
    for text in [*STEP_KINDS.values(), *TRIGGERS.values(), *OUTCOMES.values(), *NOT_SENT.values()]:
        assert russian.gettext(text) != text, text


def _journey(engine: Engine) -> int:
    template = published_template(engine)
    with transaction(engine) as session:
        version = service.create_journey(
            session, actor=AUTHOR, name="Приветственная цепочка", definition=welcome(template)
        )
        live.go_live(session, actor=APPROVER, journey_id=version.journey_id, version=1, move_instances=False)
        return version.journey_id


def test_the_marketer_follows_a_journey_in_russian(client_for, engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    journey_id = _journey(engine)
    now = dt.datetime.now(dt.UTC)
    registrations = [
        {
            "id": f"r{p}",
            "type": "registration",
            "channel": "app",
            "occurred_at": now.isoformat(),
            "player_id": p,
        }
        for p in contactable(3)
    ]
    with transaction(engine) as session:
        player_events.accept(session, registrations, source="test", now=now)
    with transaction(engine) as session:
        runner.read_triggers(session, at=now)
    marketer = client_for("marketer")
    listing = marketer.get("/journeys?lang=ru").text
    assert "Приветственная цепочка" in listing and "Регистрация" in listing and "работает" in listing
    page = marketer.get(f"/journeys/{journey_id}?lang=ru").text
    assert "Запуск по событию: <strong>Регистрация</strong>" in page
    assert "события «Покупка билета» до 1 ч: затем done, иначе nudge" in page
    assert "В группах пока недостаточно игроков" in page
    assert re.search(r"начали ожидание: [1-3]<", page) and "вошли в сценарий" in page
    assert not re.search(r">\s*(Wait|Exit|Send a message|running)\s*<", page)
    assert client_for("operator").get("/journeys").status_code == 403


@pytest.fixture
def server_seed():  # type: ignore[no-untyped-def]
    return _journey


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_the_journey_pages_in_a_browser(server: str) -> None:
    with russian_page(server, "marketer") as (page, problems):
        page.goto(f"{server}/journeys")
        page.click("#journeys a")
        page.wait_for_selector("#journey-steps")
        assert page.locator("#journey-steps tbody tr").count() == 4
        page.screenshot(path=str(ARTIFACTS / "51-journey.png"), full_page=True)
        # A ready-made journey installed from the list: its page says what came with it.
        page.goto(f"{server}/journeys")
        page.screenshot(path=str(ARTIFACTS / "52-journeys-ready-made.png"), full_page=True)
        page.locator("#shipped tr", has_text="День рождения").get_by_role("button").click()
        page.wait_for_selector("#journey-steps")
        assert "установлен черновиком" in page.inner_text("main")
        assert "200 бонусных баллов, затем greet" in page.inner_text("#journey-steps")
        page.screenshot(path=str(ARTIFACTS / "53-journey-installed.png"), full_page=True)
        assert problems == []


def test_a_goal_not_followed_yet_is_said_not_failed(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    template = published_template(engine)
    document = welcome(template) | {"goal": "ticket_won"}
    with transaction(engine) as session:
        version = service.create_journey(session, actor=AUTHOR, name="Выигрыш", definition=document)
    marketer = client_for("marketer")
    answer = marketer.get(f"/api/v1/journeys/{version.journey_id}/results")
    assert (
        answer.status_code == 200
        and answer.json()["no_lift_because"] == "the goal ticket_won is not followed yet"
    )
    page = marketer.get(f"/journeys/{version.journey_id}?lang=ru")
    assert page.status_code == 200 and "Эта цель пока не отслеживается" in page.text
