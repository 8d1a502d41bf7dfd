"""The campaign pages as their users meet them: a marketer writes a draft from the form (faults named by the
field, in Russian), an approver approves it on its page, the marketer pauses and cancels it."""

from __future__ import annotations

import datetime as dt
import re

from helpers.web_app import csrf_of
from lottocrm import clock

from .test_marketing_api import ADULTS, _template


def _form(csrf: str, segment_id: int, template_id: int, **more: str) -> dict[str, str]:
    at = clock.local(clock.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "csrf_token": csrf,
        "name": "Весенний тираж",
        "segment_id": str(segment_id),
        "channel_1": "sms",
        "channel_2": "email",
        "template_a": str(template_id),
        "schedule": "once",
        "at": at,
        "control_percent": "10",
        "window_days": "14",
        "priority": "50",
    }
    form.update(more)
    return form


def test_a_draft_is_written_approved_paused_and_cancelled(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    csrf = csrf_of(marketer, "/campaigns")
    segment = marketer.post(
        "/api/v1/segments", json={"name": "Взрослые", "definition": ADULTS}, headers={"X-CSRF-Token": csrf}
    ).json()
    template_id = _template(engine)
    assert "Новая кампания" in marketer.get("/campaigns/new").text
    refused = marketer.post(
        "/campaigns/new", data=_form(csrf, segment["id"], template_id, window_days="две недели")
    )
    assert refused.status_code == 422
    assert "не целое число" in re.search(r'id="campaign-error">([^<]+)<', refused.text).group(1)  # type: ignore[union-attr]
    created = marketer.post("/campaigns/new", data=_form(csrf, segment["id"], template_id))
    assert created.status_code == 303, created.text
    page_url = created.headers["location"]
    page = marketer.get(page_url).text
    assert "Весенний тираж" in page and "Черновик" in page and "SMS → e-mail" in page
    assert "Утвердить" not in page
    # The author by their user name, not the audit log's "user:…".
    assert "marketer" in page and "user:marketer" not in page

    approver = client_for("approver")
    approved = approver.post(
        f"{page_url}/approve", data={"csrf_token": csrf_of(approver, page_url), "accept_small_control": "on"}
    )
    assert approved.status_code == 303, approved.text
    assert "Запланирована" in approver.get(page_url).text
    assert marketer.post(f"{page_url}/pause", data={"csrf_token": csrf}).status_code == 303
    assert "Приостановлена" in marketer.get(page_url).text
    assert marketer.post(f"{page_url}/cancel", data={"csrf_token": csrf}).status_code == 303
    cancelled = marketer.get(page_url).text
    assert "Отменена" in cancelled
    again = marketer.post(f"{page_url}/pause", data={"csrf_token": csrf})
    assert again.status_code == 409 and "не может перейти" in again.text
    listing = marketer.get("/campaigns").text
    assert "Весенний тираж" in listing


def test_an_approval_refused_says_why_on_the_page(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    csrf = csrf_of(marketer, "/campaigns")
    segment = marketer.post(
        "/api/v1/segments",
        json={"name": "Никто", "definition": {"field": "profile.region", "op": "eq", "value": "RU-ZZZ"}},
        headers={"X-CSRF-Token": csrf},
    ).json()
    created = marketer.post("/campaigns/new", data=_form(csrf, segment["id"], _template(engine)))
    approver = client_for("approver")
    page_url = created.headers["location"]
    refused = approver.post(f"{page_url}/approve", data={"csrf_token": csrf_of(approver, page_url)})
    assert refused.status_code == 422 and "в сегменте сейчас нет игроков" in refused.text


OUT_OF_RANGE = {
    "control_percent": ("70", "введите значение от 1 до 50"),
    "window_days": ("0", "введите значение от 1 до 180"),
    "priority": ("500", "введите значение от 1 до 100"),
    "cost": ("20000", "введите значение от 0 до 10000"),
    "expected_uplift": ("150", "введите значение от 0.01 до 100"),
}


def test_values_out_of_range_are_refused_in_russian_beside_their_field(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    csrf = csrf_of(marketer, "/campaigns")
    segment = marketer.post(
        "/api/v1/segments", json={"name": "Взрослые", "definition": ADULTS}, headers={"X-CSRF-Token": csrf}
    ).json()
    template_id = _template(engine)
    cases = {field: (value, {field: value}) for field, (value, _) in OUT_OF_RANGE.items()}
    cases["cron"] = ("*/5 * *", {"schedule": "cron", "cron": "*/5 * *"})
    for field, (_value, change) in cases.items():
        refused = marketer.post("/campaigns/new", data=_form(csrf, segment["id"], template_id, **change))
        assert refused.status_code == 422, field
        said = re.search(r'id="campaign-error">([^<]+)<', refused.text).group(1)  # type: ignore[union-attr]
        expected = OUT_OF_RANGE[field][1] if field in OUT_OF_RANGE else "не строка cron"
        assert expected in said, (field, said)
        assert not re.search(r"[A-Za-z]{4,}", said.replace("cron", "")), (field, said)
    assert "Весенний тираж" not in marketer.get("/campaigns").text
