"""The campaign form's offer and jackpot fields, and the campaign page's offer, budget and spend, in real
headless Chromium at 1 366 px in Russian. Screenshots land in test-artifacts/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from helpers.factories import IMPORT
from helpers.live_server import ARTIFACTS, CHROMIUM, russian_page
from lottocrm.catalog.models import Game
from lottocrm.db.engine import transaction
from lottocrm.marketing.segments import service as segments
from lottocrm.messaging import demo
from lottocrm.messaging.templates import service as templates

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def _seed(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(Game(id=5, code="rl", name="Русское лото", kind="draw", ticket_price_kopecks=10_000))
        template = templates.create_template(
            session, actor=IMPORT, code="jackpot", name="Суперприз растёт", message_class="marketing"
        )
        draft = templates.save_draft(session, actor=IMPORT, template_id=template.id, bodies=demo.WELCOME)
        templates.publish_version(session, actor=IMPORT, version_id=draft.version.id)
        segments.create_segment(
            session,
            actor=IMPORT,
            name="Взрослые",
            definition={"field": "profile.age", "op": "ge", "value": 18},
        )


@pytest.fixture
def server_seed():  # type: ignore[no-untyped-def]
    return _seed


def test_the_offer_and_jackpot_fields_read_in_russian_at_1366(server: str) -> None:
    from playwright.sync_api import expect

    with russian_page(server, "marketer") as (page, problems):
        page.goto(f"{server}/campaigns/new")
        page.fill("input[name=name]", "Суперприз растёт")
        page.select_option("select[name=segment_id]", label="Взрослые")
        page.select_option("select[name=template_a]", label="Суперприз растёт (jackpot)")
        page.check("input[name=schedule][value=jackpot]")
        page.fill("input[name=draw_game]", "5")
        page.fill("input[name=jackpot_above]", "0")
        page.fill("input[name=bonus_points]", "300")
        page.check("input[name=promo_code]")
        page.fill("input[name=offer_value]", "30")
        page.fill("input[name=offer_budget]", "150 000")
        page.check("input[name=cap_to_budget]")
        page.click("main form button[type=submit]")
        expect(page.locator("#campaign-error")).to_contain_text("укажите суперприз больше 0 ₽")
        page.screenshot(path=str(ARTIFACTS / "26-campaign-offer-form.png"), full_page=True)
        page.fill("input[name=jackpot_above]", "100 000 000")
        page.click("main form button[type=submit]")
        facts = page.locator(".campaign-facts")
        expect(facts).to_contain_text("раз на тираж, когда суперприз ближайшего тиража игры 5 больше")
        expect(facts).to_contain_text(
            "300 бонусных баллов каждому откликнувшемуся игроку из рассылки; личный промокод"
        )
        expect(facts).to_contain_text("150 000,00 ₽ на запуск")
        expect(facts).to_contain_text("Потрачено")
        page.screenshot(path=str(ARTIFACTS / "27-campaign-offer.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert problems == []
