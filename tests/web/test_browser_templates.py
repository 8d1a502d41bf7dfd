"""The template pages as a Russian marketer sees them at 1366 px in real headless Chromium: the list, the
editor with a preview's SMS meter, a syntax error and an SMS over the parts limit beside the SMS field, the
publish confirmation. Screenshots 20–23 in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.live_server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from lottocrm.audit.service import Actor
from lottocrm.db.engine import make_engine, transaction
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.render import Bodies
from web.test_browser_pages import _sign_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]
MARKETER = Actor("user:marketer")
SMS = (
    "{{ first_name }}, в субботу тираж с суперпризом 500 млн ₽! "
    "У вас {{ loyalty_balance|points }}. Отписка: СТОП"
)


def _templates(data: Path) -> None:
    engine = make_engine(f"sqlite:///{data / 'crm.sqlite3'}")
    with transaction(engine) as session:
        welcome = templates.create_template(
            session, actor=MARKETER, code="welcome", name="Приветствие", message_class="marketing"
        )
        saved = templates.save_draft(
            session,
            actor=MARKETER,
            template_id=welcome.id,
            bodies=Bodies(sms_text="{{ first_name }}, добро пожаловать!"),
        )
        templates.publish_version(session, actor=MARKETER, version_id=saved.version.id)
        templates.save_draft(session, actor=MARKETER, template_id=welcome.id, bodies=Bodies(sms_text=SMS))
        for code, name, message_class in (
            ("win-notice", "Уведомление о выигрыше", "service"),
            ("rg-notice", "Уведомление об ответственной игре", "legal"),
        ):
            templates.create_template(
                session, actor=MARKETER, code=code, name=name, message_class=message_class
            )
    engine.dispose()


def test_the_template_pages_read_russian_at_1366(server: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    _templates(tmp_path / "data")
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _sign_in(browser, server, "marketer")
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.locator("header a", has_text="Шаблоны").click()
        expect(page.locator("#templates")).to_contain_text("рекламное")
        expect(page.locator("#templates")).to_contain_text("есть черновик")
        page.screenshot(path=str(ARTIFACTS / "20-templates-ru.png"), full_page=True)

        page.locator("#templates a", has_text="welcome").click()
        page.fill("input[name=players]", "1001, 1002")
        page.locator("button", has_text="Просмотр").first.click()
        expect(page.locator("#preview")).to_contain_text("Алфавит: UCS-2")
        expect(page.locator("#preview")).to_contain_text("Пётр, в субботу тираж")
        page.screenshot(path=str(ARTIFACTS / "21-template-preview-ru.png"), full_page=True)

        page.fill("#body-sms_text", "{{ first_name }, " + "Ж" * 700)
        page.locator("#save-draft").click()
        expect(page.locator("[role=alert]").first).to_contain_text("Не сохранено")
        expect(page.locator("#problems-sms_text")).to_contain_text("строка 1")
        page.fill("#body-sms_text", "{{ first_name }}, " + "Ж" * 700)
        page.locator("#save-draft").click()
        expect(page.locator("#problems-sms_text")).to_contain_text("предел — 10")
        page.locator("#problems-sms_text").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "22-template-error-ru.png"), full_page=True)

        page.goto(f"{server}/templates/welcome")
        page.locator("#publish").click()
        expect(page.locator("#confirm")).to_contain_text("опубликовать версию 2")
        page.screenshot(path=str(ARTIFACTS / "23-template-publish-confirm-ru.png"), full_page=True)
        page.locator("#confirm button", has_text="Да, опубликовать").click()
        expect(page.locator("[role=status]")).to_contain_text("Опубликовано")
        browser.close()
    assert problems == []
