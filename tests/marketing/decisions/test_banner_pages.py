"""The banner pages as a marketer meets them, in Russian: the offers listed and paged, an offer added and
changed from the form (each change audited with what it was), a bad field named beside it with nothing
written; and in a real browser, the example page's slot filled by the snippet: an offer for a player who
may receive one, the default banner for a self-excluded one (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from helpers.factories import IMPORT
from helpers.live_server import ARTIFACTS, CHROMIUM, russian_page
from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions import offers
from lottocrm.marketing.decisions.models import BannerOffer
from lottocrm.marketing.decisions.ui import PER_PAGE
from lottocrm.players import consents
from lottocrm.players.models import Player
from marketing.decisions.helpers import CONSENTED, banner_world, draft


def _form(csrf: str, placement_id: int, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "code": "new_year",
        "name": "Новогодний миллиард",
        "placement_id": str(placement_id),
        "title": "Новогодний миллиард",
        "text": "Билеты на тираж 1 января",
        "image_url": "/static/banners/jackpot.svg",
        "link_url": "/games/new-year",
        "audience": "players",
        "regions": "RU-MOW, ru-spe",
        "value_per_mille_kopecks": "45000",
        "weight_percent": "150",
        "budget_unit": "kopecks",
        "budget": "5000000",
        "cost_per_impression": "20",
        "player_daily_cap": "2",
        "starts_at": "2026-12-01T00:00",
        "ends_at": "2027-01-01T12:00",
        "status": "live",
    } | changes


def _error(html: str) -> str:
    found = re.search(r'id="offer-error">([^<]+)<', html)
    assert found, html[:3000]
    return found.group(1)


def _count(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(BannerOffer)) or 0)


def test_a_marketer_adds_and_changes_an_offer_and_bad_input_is_named(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    ids = banner_world(engine)
    marketer = client_for("marketer")
    listing = marketer.get("/banners?lang=ru")
    assert listing.status_code == 200 and "Баннеры" in listing.text and "Предложение best" in listing.text
    assert "показывается" in listing.text and "Главная, верх" in listing.text
    csrf = csrf_of(marketer, "/banners")
    before = _count(engine)

    bad = marketer.post("/banners/new", data=_form(csrf, ids["placement"], regions="RU-XXX"))
    assert bad.status_code == 422 and _error(bad.text) == "неизвестные регионы: RU-XXX"
    assert 'class="fault"' in bad.text and _count(engine) == before
    not_a_number = marketer.post("/banners/new", data=_form(csrf, ids["placement"], budget="пять"))
    assert not_a_number.status_code == 422 and _error(not_a_number.text) == "введите целое число"

    made = marketer.post("/banners/new", data=_form(csrf, ids["placement"]))
    assert made.status_code == 303, made.text
    with transaction(engine) as session:
        offer = session.scalars(select(BannerOffer).where(BannerOffer.code == "new_year")).one()
        assert offer.regions == ["RU-MOW", "RU-SPE"] and offer.budget == 5_000_000
        # 00:00 on 1 December in Moscow is 21:00 UTC the day before.
        assert offer.starts_at == dt.datetime(2026, 11, 30, 21, 0, tzinfo=dt.UTC)
    page = marketer.get(made.headers["location"])
    assert "Баннерное предложение сохранено." in page.text

    cut = marketer.post(f"/banners/{offer.id}", data=_form(csrf, ids["placement"], weight_percent="90"))
    assert cut.status_code == 303
    renamed = marketer.post(f"/banners/{offer.id}", data=_form(csrf, ids["placement"], code="other"))
    assert (
        renamed.status_code == 422
        and _error(renamed.text) == "код предложения не меняется: по нему названы события"
    )
    with transaction(engine) as session:
        audit = session.execute(
            select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.action.like("decisions.offer%"))
        ).all()
    created = [detail for action, detail in audit if action == "decisions.offer_create"]
    changed = [detail for action, detail in audit if action == "decisions.offer_update"]
    assert any(detail["code"] == "new_year" for detail in created)
    assert changed == [{"offer": offer.id, "changed": {"weight_percent": {"from": 150, "to": 90}}}]
    assert client_for("operator").get("/banners").status_code == 403
    assert marketer.get("/banners/999999").status_code == 404


def test_the_offers_list_is_paged(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    ids = banner_world(engine)
    with transaction(engine) as session:
        for number in range(PER_PAGE):
            offers.create_offer(session, actor=IMPORT, draft=draft(f"extra{number:02d}", ids["placement"]))
    marketer = client_for("marketer")
    first, second = marketer.get("/banners"), marketer.get("/banners?page=2")
    assert "Предложение extra19" in first.text and "Предложение best" not in first.text
    assert "Предложение best" in second.text and 'href="/banners?page=1"' in second.text


WEB_PLAYER = 2001


def _seed(engine: Engine) -> None:
    """The banner world, and a player who agreed to advertising on the web (1002 is the seeded self-excluded
    Иванова)."""
    banner_world(
        engine,
        best={
            "image_url": "/static/banners/jackpot.svg",
            "title": "Джекпот 500 миллионов",
            "player_daily_cap": 100,
        },
    )
    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        session.add(
            Player(
                id=WEB_PLAYER,
                last_name="Орлова",
                first_name="Вера",
                search_name="орлова вера",
                birth_date=dt.date(1985, 3, 2),
                region="RU-MOW",
                registered_at=now,
                registration_channel="website",
                age_verified=True,
                created_at=now,
            )
        )
        session.flush()
        for purpose in ("personal_data", "advertising"):
            consents.record_consent(
                session,
                actor=IMPORT,
                player_id=WEB_PLAYER,
                purpose=purpose,
                channel="web",
                granted=True,
                source="website",
                notice_version="2025-01",
                occurred_at=CONSENTED,
            )


@pytest.fixture(autouse=True)
def roomy_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new server's first decisions compile their statements, which on a loaded machine can pass 50 ms
    (the default banner would be answered); this page is about what the slot shows, not the time budget."""
    monkeypatch.setenv("LOTTOCRM_DECISION_TIME_BUDGET_MS", "5000")


@pytest.fixture
def server_seed():  # type: ignore[no-untyped-def]
    return _seed


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_the_example_page_shows_an_offer_and_the_default_for_a_self_excluded_player(server: str) -> None:
    with russian_page(server, "marketer") as (page, problems):
        page.goto(f"{server}/banners")
        page.wait_for_selector("#banner-offers")
        page.screenshot(path=str(ARTIFACTS / "60-banner-offers.png"), full_page=True)

        page.goto(f"{server}/banners/example?player_id={WEB_PLAYER}")
        page.wait_for_selector("#banner-slot[data-kind]")
        assert page.get_attribute("#banner-slot", "data-kind") == "offer"
        assert "Джекпот 500 миллионов" in page.inner_text("#banner-slot")
        assert "Предложение, выбранное для этого посетителя" in page.inner_text("#decision-shown")
        page.screenshot(path=str(ARTIFACTS / "61-banner-example-offer.png"), full_page=True)

        page.goto(f"{server}/banners/example?player_id=1002")
        page.wait_for_selector("#banner-slot[data-kind]")
        assert page.get_attribute("#banner-slot", "data-kind") == "default"
        assert "Играйте ответственно" in page.inner_text("#banner-slot")
        assert '"default_because": "contact_policy"' in page.inner_text("#decision-shown")
        page.screenshot(path=str(ARTIFACTS / "62-banner-example-self-excluded.png"), full_page=True)

        # An anonymous visitor: the device id the snippet keeps in the browser.
        page.goto(f"{server}/banners/example")
        page.wait_for_selector("#banner-slot[data-kind]")
        assert page.get_attribute("#banner-slot", "data-kind") == "offer"
        # A click on the offer is reported (a banner_click event) as the link is followed.
        decision_id = page.get_attribute("#banner-slot", "data-decision-id")
        csrf = page.get_attribute("#banner-slot", "data-csrf")
        page.route("**/games/**", lambda route: route.fulfill(body="игра"))
        with page.expect_request("**/api/v1/decisions/clicks") as clicked:
            page.click("#banner-slot a")
        assert decision_id in (clicked.value.post_data or "")
        again = page.request.post(
            f"{server}/api/v1/decisions/clicks",
            data={"decision_id": decision_id},
            headers={"X-CSRF-Token": csrf or ""},
        )
        # The snippet's click was stored: the same click again is a duplicate.
        assert again.status == 200 and again.json() == {"recorded": False}
        assert problems == []
