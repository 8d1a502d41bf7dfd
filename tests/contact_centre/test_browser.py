"""The case list and the case page in real headless Chromium (Debian's, driven by Playwright) against a
real uvicorn server, at an operator's 1 366 px: Russian, nothing wider than the screen, older cases loaded
in place, a state changed through the form. Screenshots land in test-artifacts/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from helpers.factories import PASSWORD
from helpers.live_server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from lottocrm.audit.service import Actor
from lottocrm.auth.models import User
from lottocrm.contact_centre.cases import service as cases
from lottocrm.contact_centre.cases.ui import PER_PAGE
from lottocrm.contact_centre.interactions import service as interactions
from lottocrm.contact_centre.teams.models import Team, TeamMember
from lottocrm.db.engine import transaction

WIDTH = 1366

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def _seed(engine: Engine) -> None:
    actor = Actor("user:supervisor")
    with transaction(engine) as session:
        supervisor = session.scalar(select(User.id).where(User.username == "supervisor"))
        session.add(
            TeamMember(
                team_id=session.scalar(select(Team.id).where(Team.code == "payouts")),
                user_id=supervisor,
                role="supervisor",
            )
        )
        for n in range(PER_PAGE + 5):
            case = cases.open_case(
                session,
                actor=actor,
                player_id=1001 + n % 3,
                case_type=("unpaid_prize", "payout_delayed", "app_payment")[n % 3],
                subject=f"Не пришёл выигрыш по билету № {4000 + n}: игрок просит проверить выплату",
                priority=("normal", "high", "urgent")[n % 3],
                team="payouts",
            )
        interactions.log_interaction(
            session,
            actor=actor,
            player_id=case.player_id,
            channel="call",
            direction="inbound",
            queue="payouts",
            operator="supervisor",
            started_at=case.created_at,
            talk_seconds=312,
            hold_seconds=45,
            acw_seconds=60,
            wrap_code="unpaid_prize",
            notes="Игрок выиграл 5 000 ₽, деньги не пришли на карту; передано в отдел выплат",
            case_id=case.id,
            links=[("ticket", 4054), ("win", 77)],
        )
        cases.link(session, actor=actor, case_id=case.id, kind="ticket", ref_id=4054)


@pytest.fixture
def server_seed():  # type: ignore[no-untyped-def]
    return _seed


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing sticks out past the window's width: no sideways scrolling for the operator."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_a_supervisor_pages_the_cases_and_moves_one_at_1366_px(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 900}, locale="ru-RU")
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.set_default_timeout(20_000)

        page.goto(f"{server}/login")
        page.fill("input[name=username]", "supervisor")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.click("nav >> text=Обращения")
        expect(page).to_have_url(f"{server}/cases")
        rows = page.locator("#case-rows tr:not(#more-cases)")
        expect(rows).to_have_count(PER_PAGE)
        expect(page.locator("#cases")).to_contain_text("Невыплаченный выигрыш")
        expect(page.locator("#cases")).to_contain_text("срочный")
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "cc-01-cases.png"), full_page=True)

        page.click("text=Показать более ранние обращения")
        expect(rows).to_have_count(PER_PAGE + 5)
        expect(page.locator("#more-cases")).to_have_count(0)

        page.locator("#case-rows a", has_text=str(PER_PAGE + 5)).first.click()
        expect(page.locator("h1")).to_contain_text(f"Обращение {PER_PAGE + 5}")
        expect(page.locator("#case-sla")).to_contain_text("первый ответ")
        expect(page.locator("#case-contacts")).to_contain_text("Невыплаченный выигрыш")
        expect(page.locator("#case-sla")).to_contain_text("билет 4054")
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "cc-02-case.png"), full_page=True)

        page.locator("#state-form select[name=state]").select_option("solved")
        page.click("#state-form button[type=submit]")
        expect(page.locator("[role=status]")).to_contain_text("Сохранено")
        expect(page.locator("#case-state")).to_contain_text("Решено")
        expect(page.locator("#case-history")).to_contain_text("Решено")
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "cc-03-case-solved.png"), full_page=True)
        browser.close()
    assert problems == []
