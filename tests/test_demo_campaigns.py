"""The demo's month of campaigns on a small simulated operator: every campaign of the programme is written by
the marketer, approved by the approver, launched with a control, and measured after its window with an
interval; a sample went through the local gateways and nothing is left queued to leave a month late. The
campaigns list and a results page are then looked at in Chromium."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers.dialects import DEMO_DATABASE
from helpers.factories import PASSWORD, make_users
from helpers.live_server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serving
from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.cli import demo_campaigns
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.messaging.models import Message
from lottocrm.messaging.sandbox import SandboxMessage
from lottocrm.settings import Settings
from lottocrm.simulator.ground_truth import PLAYERS_DIR
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import simulate


@pytest.mark.slow
@DEMO_DATABASE
def test_the_month_of_campaigns_is_measured_with_intervals(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from lottocrm.analytics.churn.pipeline import train_and_score
    from lottocrm.analytics.mart.build import MartOptions
    from lottocrm.analytics.mart.pipeline import write_records

    engine = make_engine(settings.db_url)
    end = clock.operator_day() - dt.timedelta(days=demo_campaigns.MONTH_DAYS)
    lake = Lake(settings.lake_path)
    simulate(
        SimulationConfig(players=4_000, seed=11, end=end, years=2),
        engine=engine,
        lake=lake,
        truth_dir=settings.ground_truth_dir,
        workers=1,
    )
    console = Actor.console()
    write_records(
        engine, actor=console, lake=lake, options=MartOptions(timezone=settings.timezone), days=[end]
    )
    train_and_score(
        settings, engine, end, actor=console, truth_players_dir=settings.ground_truth_dir / PLAYERS_DIR
    )

    month = demo_campaigns.run_month(settings, engine, start=end)
    found = demo_campaigns.results(settings, engine, month)
    demo_campaigns.describe(month, found)

    assert set(found) == {plan.code for plan in demo_campaigns.PLANS}
    for code, outcome in found.items():
        measured = outcome.measurement
        assert measured.treatment.n > 0 and measured.control.n > 0, code
        treated, control = outcome.delivery
        # A sample of every campaign went out; the control heard nothing.
        assert 0 < treated.sent <= 3 * demo_campaigns.SAMPLE_PER_CHANNEL and control.sent == 0, code
        assert not outcome.preliminary, code
        interval = measured.response.absolute_interval
        assert math.isfinite(interval.low) and interval.low < interval.high, (code, interval)
        assert interval.contains(measured.response.absolute), code
    with transaction(engine) as session:
        approvals = set(session.execute(select(Campaign.created_by, Campaign.approved_by)).all())
        left = session.scalar(
            select(func.count()).where(Message.source_kind == "campaign", Message.status == "queued")
        )
        sandbox = session.scalar(select(func.count()).select_from(SandboxMessage))
    engine.dispose()
    assert approvals == {("user:demo-marketer", "user:demo-approver")}
    assert month.sampled > 0 and sandbox >= month.sampled and month.cancelled > 0
    assert left == 0
    printed = capsys.readouterr().out
    assert "95 % CI" in printed and "went through the local gateways" in printed
    if settings.db_url.startswith("sqlite") and Path(CHROMIUM).exists():
        make_users(engine)
        engine.dispose()
        _look_at_the_pages(settings, month.campaigns["reactivation-churned"])


def _look_at_the_pages(settings: Settings, campaign_id: int) -> None:
    """The campaigns list and one results page after the month, as an analyst sees them in Russian at
    1 366 px (screenshots in test-artifacts/)."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with serving(settings.data_dir, settings.db_url) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="ru-RU")
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.set_default_timeout(30_000)
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "analyst")
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.goto(f"{base}/campaigns")
        for plan in demo_campaigns.PLANS:
            expect(page.locator("#campaigns")).to_contain_text(plan.name)
        page.screenshot(path=str(ARTIFACTS / "40-demo-campaigns.png"), full_page=True)
        page.goto(f"{base}/campaigns/{campaign_id}/results")
        expect(page.locator("h1")).to_contain_text("Реактивация: ушедшие")
        expect(page.locator("#arms")).to_contain_text("Контроль")
        expect(page.locator("body")).to_contain_text("95 % интервал")
        expect(page.locator("body")).not_to_contain_text("Предварительно")
        page.screenshot(path=str(ARTIFACTS / "41-demo-campaign-results.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        browser.close()
    assert problems == []
