"""The calendar, the approvals queue, the global holdout's month and the boost windows in real headless
Chromium at 1 366 px, in Russian, as an approver sees them. Screenshots land in test-artifacts/ for a person
to look at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine

from helpers.live_server import ARTIFACTS, CHROMIUM, russian_page
from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.models import Campaign, CampaignRun
from marketing.campaigns.helpers import AUTHOR, published_template, segment
from marketing.history.conftest import add_players
from marketing.test_marketing_api import ADULTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]
NAMES = ("Весенний тираж", "Возврат спящих", "VIP: бонус к Новому году", "Допродажа «Жилищной лотереи»")


def _seed(engine: Engine) -> None:
    from lottocrm.marketing.campaigns import service as campaigns

    template = published_template(engine)
    adults = segment(engine, ADULTS, name="Взрослые")
    now = clock.now()
    today = clock.local(now)
    month_start = today.replace(day=1, hour=10, minute=0, second=0, microsecond=0)
    with transaction(engine) as session:
        for number, name in enumerate(NAMES):
            document = {
                "channels": ["push", "sms"],
                "variants": [{"name": "A", "template_id": template}],
                "schedule": {"kind": "cron", "cron": f"0 {9 + number} * * {number % 5 + 1}"},
                "cost_per_message_kopecks": 120,
            }
            campaign = Campaign(
                name=name,
                kind="recurring",
                status="scheduled",
                definition=document,
                snapshot={"definition": document},
                created_at=now - dt.timedelta(days=40),
                created_by="user:marketer",
                approved_audience=48_000 + 7_000 * number,
            )
            session.add(campaign)
            session.flush()
            for week in range(5):
                at = month_start + dt.timedelta(days=number + 7 * week)
                if at < today:
                    session.add(
                        CampaignRun(
                            campaign_id=campaign.id,
                            occurrence=at.isoformat(),
                            status="done",
                            started_at=at,
                            counts={"treatment": 43_000 + 5_000 * number, "control": 4_800 + 500 * number},
                        )
                    )
        for number in range(3):
            campaigns.create_campaign(
                session,
                actor=AUTHOR,
                name=f"Новогодняя рассылка {number + 1}",
                segment_id=adults,
                definition={
                    "channels": ["sms"],
                    "variants": [{"name": "A", "template_id": template}],
                    "schedule": {
                        "kind": "once",
                        "at": (now + dt.timedelta(days=3, hours=number)).isoformat(),
                    },
                    "cost_per_message_kopecks": 150,
                },
            )
    previous_end = month_start.replace(hour=0) - dt.timedelta(days=1)
    ids = range(10_001, 13_001)
    add_players(engine, ids)
    tickets = [
        {
            "ticket_id": 50_000 + pid,
            "player_id": pid,
            "game_id": 1,
            "draw_id": None,
            "channel": "website",
            "pos_id": None,
            "region": "RU-MOW",
            "price_kopecks": 10_000 * (1 + pid % 4),
            "sold_at": previous_end.replace(day=1 + pid % 28, hour=12).astimezone(dt.UTC),
        }
        for pid in ids
        if pid % 5 in (0, 1)
    ]
    tickets.append({**tickets[0], "ticket_id": 99_999, "sold_at": now - dt.timedelta(hours=1)})
    lake = Lake(Path(engine.url.database).parent / "lake")  # type: ignore[arg-type]
    lake.append("tickets", pa.Table.from_pylist(tickets), batch_id="planning-browser")


@pytest.fixture
def server_seed():  # type: ignore[no-untyped-def]
    return _seed


def test_the_planning_pages_read_in_russian_at_1366(server: str) -> None:
    from playwright.sync_api import expect

    with russian_page(server, "approver") as (page, problems):
        page.click("header >> text=Утверждение")
        expect(page.locator("#approvals")).to_contain_text("Новогодняя рассылка 1")
        page.screenshot(path=str(ARTIFACTS / "40-campaign-approvals.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.click("nav.subnav >> text=Календарь")
        expect(page.locator("#calendar")).to_contain_text("Весенний тираж")
        page.screenshot(path=str(ARTIFACTS / "41-campaign-calendar.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.click("#next-month")
        expect(page.locator("h1")).to_contain_text("Календарь кампаний")
        page.click("nav.subnav >> text=Глобальная контрольная группа")
        expect(page.locator("#groups")).to_contain_text("Остальные (с маркетингом)")
        page.screenshot(path=str(ARTIFACTS / "42-global-holdout.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366

        page.click("nav.subnav >> text=Окна усиления")
        form = page.locator("#boost-form")
        form.locator("input[name=name]").fill("Новогодний тираж")
        first = clock.operator_day() + dt.timedelta(days=20)
        form.locator("input[name=first_day]").fill(first.isoformat())
        form.locator("input[name=last_day]").fill((first + dt.timedelta(days=12)).isoformat())
        form.locator("input[name=extra_per_day]").fill("2")
        form.locator("select[name=segment_id]").select_option(label="Взрослые")
        form.locator("button[type=submit]").click()
        expect(page.locator("[role=status]")).to_contain_text("Окно усиления добавлено")
        expect(page.locator("#boosts")).to_contain_text("Новогодний тираж")
        page.screenshot(path=str(ARTIFACTS / "43-boost-windows.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert problems == []
