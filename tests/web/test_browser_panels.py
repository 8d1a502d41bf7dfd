"""The Russian player 360 in real headless Chromium: every panel value formatted the ru-RU way, the
micro-segment named in Russian."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.factories import PASSWORD
from helpers.live_server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from lottocrm.db.engine import make_engine
from players.test_panels_locale import NBSP, fill_panels

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def test_russian_360_panels_in_a_browser(server: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'crm.sqlite3'}")
    fill_panels(engine)
    engine.dispose()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ru-RU")
        page.set_default_timeout(20_000)
        page.goto(f"{server}/login")
        page.fill("input[name=username]", "supervisor")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{server}/players/1001?lang=ru")
        analytics = page.locator("article.panel-analytics")
        expect(analytics).to_contain_text(f"12{NBSP}500,00{NBSP}₽")
        expect(analytics).to_contain_text("Активные высокодоходные еженедельные игроки тиражных лотерей")
        expect(analytics).not_to_contain_text("draw-game")
        expect(page.locator("article.panel-clv")).to_contain_text(f"12{NBSP}345,67{NBSP}₽")
        expect(page.locator("article.panel-churn")).to_contain_text(f"35{NBSP}%")
        expect(page.locator("article.panel-loyalty")).to_contain_text("Золотой")
        page.screenshot(path=str(ARTIFACTS / "08-player-360-panels-ru.png"), full_page=True)
        browser.close()
