"""The pages of #12 items 11, 14, 15 and 16 as a Russian operator, supervisor and admin see them at 1366 px in
real headless Chromium: no English and no codes, the wins table whole inside its card, tickets paged back,
every region on the chart, the audit search by name with its export, the admin's account controls."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pyarrow as pa
import pytest

from helpers.factories import PASSWORD
from helpers.live_server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from lottocrm import vocab
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.loyalty.ledger.accounts import member_account
from lottocrm.loyalty.models import LoyaltyOperation
from lottocrm.messaging.sandbox import SandboxMessage

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]
VIEWPORT = {"width": 1366, "height": 900}
UTC = dt.UTC


def _more_history(data: Path) -> None:
    """Player 1002: 45 tickets and 5 wins; a ticket in every region; a redemption for player 1001."""
    start = dt.datetime(2026, 2, 2, 10, tzinfo=UTC)
    regions = list(vocab.REGIONS)
    tickets = [
        {
            "ticket_id": 9000 + n,
            "player_id": 1002 if n < 45 else None,
            "game_id": 1,
            "draw_id": None,
            "channel": "retail_kiosk" if n % 2 else "post_office",
            "pos_id": None,
            "region": regions[n % len(regions)],
            "price_kopecks": 10000 + 100 * n,
            "sold_at": start + dt.timedelta(days=n),
        }
        for n in range(45 + len(regions))
    ]
    wins = [
        {
            "win_id": 9500 + n,
            "ticket_id": 9000 + n,
            "player_id": 1002,
            "game_id": 2,
            "draw_id": None,
            "prize_tier": 3,
            "amount_kopecks": 1_500_000,
            "won_at": start + dt.timedelta(days=n, hours=1),
            "claimed": n % 2 == 0,
            "claimed_at": None,
        }
        for n in range(5)
    ]
    lake = Lake(data / "lake")
    lake.append("tickets", pa.Table.from_pylist(tickets), batch_id="pages-tickets")
    lake.append("wins", pa.Table.from_pylist(wins), batch_id="pages-wins")
    engine = make_engine(f"sqlite:///{data / 'crm.sqlite3'}")
    with transaction(engine) as session:
        account = member_account(session, 1001)
        for minute, (kind, points) in enumerate([("earn", 500), ("authorize", 139), ("capture", 139)]):
            session.add(
                LoyaltyOperation(
                    kind=kind,
                    account_id=account,
                    points=points,
                    created_at=dt.datetime(2026, 4, 28, 9, minute, tzinfo=UTC),
                )
            )
        # What the local gateways received: an SMS and an e-mail of the welcome campaign.
        session.add_all(
            [
                SandboxMessage(
                    gateway="sms",
                    recipient="+79161234512",
                    subject=None,
                    at=start,
                    text="Пётр, добро пожаловать! В субботу суперприз 500 млн ₽. Отписка: СТОП",
                    detail={"parts": 2},
                ),
                SandboxMessage(
                    gateway="email",
                    recipient="petr.fedorov@mail.ru",
                    subject="Пётр, добро пожаловать в лотерею",
                    at=start,
                    text="Пётр, здравствуйте! Спасибо, что играете с нами.",
                    detail={},
                ),
            ]
        )
    engine.dispose()


def _sign_in(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=VIEWPORT, locale="ru-RU", accept_downloads=True)
    page.set_default_timeout(30_000)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return page


def test_the_pages_read_russian_and_fit_at_1366(server: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    _more_history(tmp_path / "data")
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--lang=ru"])
        page = _sign_in(browser, server, "supervisor")
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(f"{server}/players?q=а")
        expect(page.locator("#results [role=alert]")).to_have_text(
            "Поиск невозможен: в имени нужно хотя бы 2 буквы"
        )
        page.goto(f"{server}/players?q=Фёдоров")
        expect(page.locator("#results")).to_contain_text("Москва")
        page.screenshot(path=str(ARTIFACTS / "11-search-ru.png"), full_page=True)

        page.goto(f"{server}/players/1002")
        activity = page.locator("#activity")
        claimed = page.locator("#wins th", has_text="Получен")
        expect(claimed).to_be_visible()
        card, header = activity.bounding_box(), claimed.bounding_box()
        assert card and header and header["x"] + header["width"] <= card["x"] + card["width"]
        assert activity.evaluate("el => el.scrollWidth <= el.clientWidth")
        expect(page.locator("#tickets tbody tr[data-id]")).to_have_count(20)
        page.locator("#tickets button", has_text="Показать более ранние").click()
        expect(page.locator("#tickets tbody tr[data-id]")).to_have_count(40)
        page.locator("#tickets button", has_text="Показать более ранние").click()
        expect(page.locator("#tickets tbody tr[data-id]")).to_have_count(45)
        expect(page.locator("#tickets button")).to_have_count(0)
        expect(page.locator("#tickets")).to_contain_text("киоск")
        page.screenshot(path=str(ARTIFACTS / "12-player-tickets-paged-ru.png"), full_page=True)

        page.goto(f"{server}/players/1001")
        expect(page.locator("article.panel-loyalty")).to_contain_text("-139")
        expect(page.locator("#player-changes")).to_contain_text("импорт: tests")
        expect(page.locator("#player-views")).to_contain_text("Supervisor (супервайзер)")
        expect(page.locator("main")).not_to_contain_text("user:")
        page.screenshot(path=str(ARTIFACTS / "13-player-access-ru.png"), full_page=True)

        page.goto(f"{server}/dashboard")
        for chart in ("chart-region", "chart-channel"):
            expect(page.locator(f"#{chart}[data-rendered=true] canvas").first).to_be_attached(timeout=60_000)
        regions = page.evaluate(
            "echarts.getInstanceByDom(document.getElementById('chart-region')).getOption().yAxis[0].data"
        )
        assert sorted(regions) == sorted({*(r.ru for r in vocab.REGIONS.values())})
        channels = page.evaluate(
            "echarts.getInstanceByDom(document.getElementById('chart-channel')).getOption().yAxis[0].data"
        )
        assert set(channels) == {"киоск", "почта", "сайт"}
        page.screenshot(path=str(ARTIFACTS / "14-dashboard-regions-ru.png"), full_page=True)

        page.goto(f"{server}/audit")
        page.fill("input[name=who]", "SUPER")
        page.select_option("select[name=action]", label="Просмотр карточки игрока")
        page.click("form.audit-filters button[type=submit]")
        expect(page.locator("#audit-events")).to_contain_text("Supervisor (супервайзер)")
        expect(page.locator("#audit-events")).not_to_contain_text("player.view")
        page.screenshot(path=str(ARTIFACTS / "15-audit-search-ru.png"), full_page=True)
        with page.expect_download() as download:
            page.click("#audit-export")
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        assert rows[0][:2] == ["Когда", "Кто"] and len(rows) == 1 + 2
        assert {row[3] for row in rows[1:]} == {"Просмотр карточки игрока"}

        admin = _sign_in(browser, server, "admin")
        admin.on("pageerror", lambda e: problems.append(str(e)))
        admin.goto(f"{server}/admin/users")
        admin.locator("#user-admin button", has_text="Отключить").click()
        expect(admin.locator("[role=alert]")).to_contain_text("последний действующий администратор")
        admin.locator("#user-supervisor select[name=role]").select_option("admin")
        admin.locator("#user-supervisor button", has_text="Изменить").click()
        admin.locator("#user-admin button", has_text="Отключить").click()
        expect(admin.locator("#confirm")).to_contain_text("Подтвердите: это ваша собственная учётная запись")
        admin.screenshot(path=str(ARTIFACTS / "16-users-confirm-ru.png"), full_page=True)
        admin.locator("#confirm a", has_text="Отмена").click()
        admin.locator("#user-marketer button", has_text="Сбросить пароль").click()
        expect(admin.locator("#new-password")).to_contain_text("Новый пароль пользователя marketer")
        admin.screenshot(path=str(ARTIFACTS / "17-users-reset-ru.png"), full_page=True)

        admin.goto(f"{server}/contact-policy")
        admin.fill("input[name='cap.player.sms.7d']", "2")
        admin.fill("input[name='hours.sms.marketing.working']", "21:00-09:00")
        admin.fill("input[name=note]", "проверка")
        admin.locator("form.policy button[type=submit]").click()
        expect(admin.locator("[role=alert]")).to_contain_text("SMS, рекламное, рабочие дни: часы отправки")
        admin.fill("input[name='hours.sms.marketing.working']", "10:00-20:00")
        admin.fill("input[name=note]", "меньше SMS перед тиражом")
        admin.locator("form.policy button[type=submit]").click()
        expect(admin.locator("[role=status]")).to_contain_text("новая версия действует")
        admin.screenshot(path=str(ARTIFACTS / "18-contact-policy-ru.png"), full_page=True)
        admin.goto(f"{server}/sandbox")
        expect(admin.locator("#sandbox")).to_contain_text("Пётр, добро пожаловать в лотерею")
        admin.screenshot(path=str(ARTIFACTS / "19-sandbox-ru.png"), full_page=True)
        browser.close()
    assert problems == []
