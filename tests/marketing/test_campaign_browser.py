"""The campaign pages in real headless Chromium at 1 366 px, in Russian, as a marketer and an analyst see
them: the list, the draft's form, the campaign page, and the results of an imported campaign with its chart.
Screenshots land in test-artifacts/ for a person to look at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from helpers.factories import IMPORT, PASSWORD
from helpers.live_server import ARTIFACTS, CHROMIUM, russian_page
from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns import service as campaigns
from lottocrm.marketing.history.service import import_history
from lottocrm.marketing.segments import service as segments
from lottocrm.messaging import demo
from lottocrm.messaging.templates import service as templates
from lottocrm.settings import build_settings
from marketing.history.conftest import add_players, write_history

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def _seed(engine: Engine) -> None:
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=IMPORT, code="spring", name="Весенний тираж", message_class="marketing"
        )
        draft = templates.save_draft(session, actor=IMPORT, template_id=template.id, bodies=demo.WELCOME)
        templates.publish_version(session, actor=IMPORT, version_id=draft.version.id)
        segment = segments.create_segment(
            session,
            actor=IMPORT,
            name="Взрослые",
            definition={"field": "profile.age", "op": "ge", "value": 18},
        )
        campaigns.create_campaign(
            session,
            actor=IMPORT,
            name="Весенний тираж",
            segment_id=segment.segment_id,
            definition={
                "channels": ["push", "sms"],
                "variants": [{"name": "A", "template_id": template.id}],
                "schedule": {"kind": "once", "at": (clock.now() + dt.timedelta(days=2)).isoformat()},
                "expected_uplift": 0.03,
                "value_per_response_kopecks": 30_000,
            },
        )
    ids = list(range(7001, 9001))
    add_players(engine, ids)
    segments_of = ("active", "vip", "at_risk", "sleeping")
    rows = [
        {
            "player_id": pid,
            "campaign_code": "SAS-2025-11",
            "campaign_name": "Возврат спящих (ноябрь)",
            "arm": "control" if pid % 10 == 0 else "treatment",
            "sent_at": "2025-11-05 10:00",
            "responded": "1" if (pid % 7 == 0 or (pid % 10 != 0 and pid % 11 == 0)) else "0",
            "revenue_kopecks": "20000" if pid % 7 == 0 else "0",
        }
        for pid in ids
    ]
    del segments_of
    path = write_history(Path(engine.url.database).parent / "history.csv", rows)  # type: ignore[arg-type]
    settings = build_settings()
    with transaction(engine) as session:
        import_history(session, actor=IMPORT, path=path, lake=Lake(settings.lake_path), settings=settings)


@pytest.fixture
def server_seed():  # type: ignore[no-untyped-def]
    return _seed


def test_the_campaign_pages_read_in_russian_at_1366(server: str) -> None:
    from playwright.sync_api import expect

    with russian_page(server, "marketer") as (page, problems):
        page.goto(f"{server}/campaigns")
        expect(page.locator("#campaigns")).to_contain_text("Весенний тираж")
        page.screenshot(path=str(ARTIFACTS / "22-campaigns.png"), full_page=True)
        page.click("text=Весенний тираж")
        expect(page.locator("h1")).to_contain_text("Черновик")
        page.screenshot(path=str(ARTIFACTS / "23-campaign.png"), full_page=True)
        page.goto(f"{server}/campaigns/new")
        page.screenshot(path=str(ARTIFACTS / "24-campaign-form.png"), full_page=True)
        page.click("text=Выйти")
        page.fill("input[name=username]", "analyst")
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.goto(f"{server}/campaigns/2/results")
        expect(page.locator("h1")).to_contain_text("Возврат спящих")
        expect(page.locator("#arms")).to_contain_text("Контроль")
        page.screenshot(path=str(ARTIFACTS / "25-campaign-results.png"), full_page=True)
        widths = page.evaluate("document.documentElement.scrollWidth")
        assert widths <= 1366
    assert problems == []
