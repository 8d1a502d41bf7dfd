"""The administrators' events page: the day's counts and the refused events, in Russian, paged; other
roles do not reach it. The browser test looks at it in headless Chromium at 1 366 px."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from helpers.factories import IMPORT
from helpers.live_server import ARTIFACTS, CHROMIUM, russian_page
from lottocrm.auth import service as auth
from lottocrm.db.engine import transaction
from lottocrm.player_events import service
from lottocrm.player_events.labels import REASON_TEXTS, TYPE_LABELS
from lottocrm.player_events.ui import PER_PAGE
from lottocrm.web.i18n import translations


def _batch(count: int = 3) -> list[Any]:
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)).isoformat()
    good = {"id": "ok-1", "type": "sign_in", "channel": "app", "occurred_at": at, "player_id": 1001}
    bad = [
        {
            "id": f"dep-{n}",
            "type": "deposit",
            "channel": "app",
            "occurred_at": at,
            "player_id": 1001,
            "properties": {"amount_kopecks": -n},
        }
        for n in range(count)
    ]
    return [
        good,
        *bad,
        {
            "id": "nobody",
            "type": "page_view",
            "channel": "website",
            "occurred_at": at,
            "properties": {"url": "/"},
        },
    ]


def _seed(engine: Engine, count: int = 3) -> None:
    with transaction(engine) as session:
        key, _ = auth.create_api_key(session, actor=IMPORT, name="Сайт", scopes=["events:send"])
        source = f"apikey:{key.prefix}"
        service.accept(session, _batch(count), source=source, now=dt.datetime.now(dt.UTC))


def test_every_type_and_reason_reads_in_russian() -> None:
    russian = translations("ru")
    for text in [*TYPE_LABELS.values(), *REASON_TEXTS.values(), "The event was refused."]:
        assert russian.gettext(text) != text, text


def test_the_administrator_reads_refusals_in_russian_and_pages_them(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _seed(engine, count=PER_PAGE + 2)
    admin = client_for("admin")
    html = admin.get("/events?lang=ru").text
    assert "События сайта и приложения" in html
    newest_deposit = PER_PAGE + 1  # the page is newest first
    assert f"Недопустимое значение поля properties.amount_kopecks: -{newest_deposit}." in html
    assert "В событии не указан ни игрок, ни устройство." in html
    assert "Пополнение счёта" in html and "API-ключ «Сайт»" in html and "Older" not in html
    assert re.search(r"Вход</td><td class=\"num\">1<", html)
    older = admin.get("/events?page=2&lang=ru").text
    assert older.count('id="dead-letter-') == 3 and "amount_kopecks: 0." in older
    assert client_for("marketer").get("/events").status_code == 403


@pytest.fixture
def server_seed():  # type: ignore[no-untyped-def]
    return _seed


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_the_events_page_in_a_browser(server: str) -> None:
    with russian_page(server, "admin") as (page, problems):
        page.click("nav >> text=События")
        page.wait_for_selector("#dead-letters")
        assert page.locator("#dead-letters tbody tr").count() == 4
        page.locator("#dead-letters details summary").first.click()
        page.screenshot(path=str(ARTIFACTS / "50-website-events.png"), full_page=True)
        assert problems == []
