"""The boost windows page as its users meet it: the marketer sees the windows and no form; the approver adds a
window (a bad date and a window that ends before it starts are named beside their field, in Russian, and
nothing is written), sees it, removes it; the list is paged."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from helpers.web_app import csrf_of
from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.marketing.boosts.models import BoostWindow
from lottocrm.marketing.boosts.ui import PER_PAGE

from .test_marketing_api import ADULTS


def _error(html: str) -> str:
    found = re.search(r'id="boost-error">([^<]+)<', html)
    assert found, html[:2000]
    return found.group(1)


def _segment(client_for, name: str) -> int:  # type: ignore[no-untyped-def]
    """A segment written by the marketer (the approver approves; segments are the marketer's)."""
    marketer = client_for("marketer")
    headers = {"X-CSRF-Token": csrf_of(marketer, "/segments")}
    created = marketer.post("/api/v1/segments", json={"name": name, "definition": ADULTS}, headers=headers)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _windows(engine) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(BoostWindow)) or 0)


def test_an_approver_adds_and_removes_a_window_and_bad_input_is_named(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    approver = client_for("approver")
    csrf = csrf_of(approver, "/campaigns/boosts")
    segment = _segment(client_for, "Играли в новогодний")
    today = clock.operator_day()
    form = {
        "csrf_token": csrf,
        "name": "Новогодний тираж",
        "first_day": (today + dt.timedelta(days=3)).isoformat(),
        "last_day": (today + dt.timedelta(days=10)).isoformat(),
        "extra_per_day": "2",
        "segment_id": str(segment),
    }
    page = approver.get("/campaigns/boosts")
    assert page.status_code == 200 and "Окна усиления" in page.text and "Добавить окно" in page.text

    bad_date = approver.post("/campaigns/boosts", data={**form, "first_day": "31.12.2026"})
    assert bad_date.status_code == 422
    assert _error(bad_date.text) == "введите дату в виде ГГГГ-ММ-ДД"
    assert 'class="fault">Первый день' in bad_date.text and 'value="Новогодний тираж"' in bad_date.text
    backwards = approver.post("/campaigns/boosts", data={**form, "last_day": today.isoformat()})
    assert backwards.status_code == 422 and "раньше, чем начинается" in _error(backwards.text)
    too_many = approver.post("/campaigns/boosts", data={**form, "extra_per_day": "9"})
    assert too_many.status_code == 422 and "от 1 до 5 кампаний в день" in _error(too_many.text)
    assert _windows(engine) == 0

    added = approver.post("/campaigns/boosts", data=form)
    assert added.status_code == 303, added.text
    listed = approver.get(added.headers["location"]).text
    assert "Окно усиления добавлено" in listed and "Новогодний тираж" in listed and "+2" in listed
    assert "Играли в новогодний" in listed
    window_id = int(re.search(r'id="boost-(\d+)"', listed).group(1))  # type: ignore[union-attr]

    marketer = client_for("marketer")
    seen = marketer.get("/campaigns/boosts").text
    assert "Новогодний тираж" in seen and "Добавить окно" not in seen and "Удалить" not in seen
    refused = marketer.post("/campaigns/boosts", data={**form, "csrf_token": csrf_of(marketer, "/campaigns")})
    assert refused.status_code == 403

    removed = approver.post(f"/campaigns/boosts/{window_id}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert "Действующих и будущих окон усиления нет" in approver.get("/campaigns/boosts").text
    again = approver.post(f"/campaigns/boosts/{window_id}/remove", data={"csrf_token": csrf})
    assert again.status_code == 404 and _error(again.text) == f"окна усиления {window_id} нет"
    with transaction(engine) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("campaign.boost%")).order_by(AuditEvent.id)
        ).all()
    assert actions == ["campaign.boost_add", "campaign.boost_remove"]


def test_the_list_is_paged(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    approver = client_for("approver")
    csrf = csrf_of(approver, "/campaigns/boosts")
    segment = _segment(client_for, "Все взрослые")
    today = clock.operator_day()
    for n in range(PER_PAGE + 1):
        day = (today + dt.timedelta(days=n)).isoformat()
        body = {"name": f"Окно {n:02d}", "first_day": day, "last_day": day, "extra_per_day": 1}
        response = approver.post(
            "/api/v1/campaign-boosts",
            json={**body, "segment_id": segment},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 201, response.text
    first = approver.get("/campaigns/boosts").text
    assert "Окно 00" in first and f"Окно {PER_PAGE:02d}" not in first and "page=2" in first
    second = approver.get("/campaigns/boosts?page=2").text
    assert f"Окно {PER_PAGE:02d}" in second and "Окно 00" not in second
