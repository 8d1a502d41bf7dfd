"""The segment builder in real headless Chromium at 1 366 px, in Russian: a marketer picks a field, sees the
count and the waterfall update, saves, and checks a player."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.live_server import ARTIFACTS, CHROMIUM, russian_page

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def test_a_marketer_builds_a_segment_and_sees_its_audience(server: str) -> None:
    from playwright.sync_api import expect

    with russian_page(server, "marketer") as (page, problems):
        page.goto(f"{server}/segments/new")
        page.fill("input[name=name]", "Взрослые с тратами")
        page.select_option("select[name=row-0-field]", "profile.age")
        # Only the conditions an age takes are offered.
        assert page.locator("select[name=row-0-op] option[value=in]").get_attribute("hidden") is not None
        page.select_option("select[name=row-0-op]", "ge")
        page.fill("input[name=row-0-value]", "18")
        page.locator("input[name=row-0-value]").dispatch_event("change")
        expect(page.locator("#segment-size")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "20-segment-builder.png"), full_page=True)
        page.click("text=Создать сегмент")
        expect(page.locator("h1")).to_have_text("Взрослые с тратами")
        page.fill("input[name=player]", "1001")
        page.click("text=Проверить")
        expect(page.locator("#why")).to_contain_text("Игрок 1001")
        page.screenshot(path=str(ARTIFACTS / "21-segment-saved.png"), full_page=True)
    assert problems == []


def test_a_behaviour_row_offers_its_period_and_counts_from_the_lake(server: str) -> None:
    from playwright.sync_api import expect

    with russian_page(server, "marketer") as (page, problems):
        page.goto(f"{server}/segments/new")
        page.fill("input[name=name]", "Русское лото за десять лет")
        # The period boxes show only for a behaviour field; a draw takes a number or a day, not "to".
        expect(page.locator("#row-2 .seg-period")).to_be_hidden()  # rows are numbered from 1 on the page
        page.select_option("select[name=row-1-field]", "behaviour.played_draw")
        expect(page.locator("input[name=row-1-to]")).to_be_hidden()
        assert page.locator("input[name=row-1-days]").get_attribute("placeholder") == "№ тиража"
        page.select_option("select[name=row-1-field]", "")
        page.select_option("select[name=row-0-field]", "behaviour.tickets")
        expect(page.locator("#row-1 .seg-period")).to_be_visible()
        expect(page.locator("input[name=row-0-to]")).to_be_visible()
        page.fill("input[name=row-0-param]", "1")
        page.fill("input[name=row-0-days]", "3650")
        page.select_option("select[name=row-0-op]", "ge")
        page.fill("input[name=row-0-value]", "2")
        page.locator("input[name=row-0-value]").dispatch_event("change")
        # The count waits for the lake aggregation (slow on a busy machine): a longer wait than the default.
        expect(page.locator("#segment-size")).to_have_text("2", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "22-segment-behaviour.png"), full_page=True)
    assert problems == []
