"""The offer as a marketer meets it: typed in roubles on the form, stored in kopecks, shown on the campaign
page with its budget and spend (in Russian), read back from the API; faults named by the field."""

from __future__ import annotations

import re

from helpers.web_app import csrf_of

from .test_campaign_pages import _form
from .test_marketing_api import ADULTS, _template


def _error(text: str) -> str:
    return re.search(r'id="campaign-error">([^<]+)<', text).group(1)  # type: ignore[union-attr]


def test_an_offer_is_written_in_roubles_shown_and_read_from_the_api(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    csrf = csrf_of(marketer, "/campaigns")
    segment = marketer.post(
        "/api/v1/segments", json={"name": "Взрослые", "definition": ADULTS}, headers={"X-CSRF-Token": csrf}
    ).json()
    offer = {
        "bonus_points": "250",
        "promo_code": "1",
        "next_game": "1",
        "offer_value": "25,50",
        "offer_budget": "10 000",
        "cap_to_budget": "1",
    }
    created = marketer.post("/campaigns/new", data=_form(csrf, segment["id"], _template(engine), **offer))
    assert created.status_code == 303, created.text
    page_url = created.headers["location"]
    # Sums are written with no-break spaces; compared here with plain ones.
    page = marketer.get(page_url).text.replace("\xa0", " ").replace("\u202f", " ")
    assert (
        "250 бонусных баллов каждому откликнувшемуся игроку из рассылки; личный промокод; следующая игра"
        in page
    )
    assert "не более 25,50 ₽ на игрока" in page and "10 000,00 ₽ на запуск" in page
    assert "Потрачено" in page
    campaign_id = int(page_url.rsplit("/", 1)[1])
    stored = marketer.get(f"/api/v1/campaigns/{campaign_id}").json()["definition"]["offer"]
    assert stored == {
        "bonus_points": 250,
        "promo_code": True,
        "next_game": True,
        "value_kopecks": 2_550,
        "budget_kopecks": 1_000_000,
        "cap_to_budget": True,
    }
    spend = marketer.get(f"/api/v1/campaigns/{campaign_id}/offer").json()
    assert spend == {
        "offer": stored,
        "approved_cost_kopecks": None,
        "credited_players": 0,
        "credited_points": 0,
        "spend_kopecks": 0,
    }
    edit = marketer.get(f"{page_url}/edit").text
    assert 'name="offer_budget" value="10000"' in edit and 'name="bonus_points" value="250"' in edit


def test_an_offer_value_without_an_offer_is_refused_by_its_field(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    csrf = csrf_of(marketer, "/campaigns")
    segment = marketer.post(
        "/api/v1/segments", json={"name": "Взрослые", "definition": ADULTS}, headers={"X-CSRF-Token": csrf}
    ).json()
    refused = marketer.post(
        "/campaigns/new", data=_form(csrf, segment["id"], _template(engine), offer_budget="5000")
    )
    assert refused.status_code == 422
    assert _error(refused.text) == "выберите, что даёт предложение: баллы, промокод или игру"


def test_a_jackpot_of_zero_roubles_is_refused_by_its_field(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    csrf = csrf_of(marketer, "/campaigns")
    segment = marketer.post(
        "/api/v1/segments", json={"name": "Взрослые", "definition": ADULTS}, headers={"X-CSRF-Token": csrf}
    ).json()
    form = _form(csrf, segment["id"], _template(engine), schedule="jackpot", draw_game="5", jackpot_above="0")
    refused = marketer.post("/campaigns/new", data=form)
    assert refused.status_code == 422
    assert _error(refused.text) == "укажите суперприз больше 0 ₽"
