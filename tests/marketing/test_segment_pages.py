"""The segment pages as a marketer uses them: the builder saves a segment from its rows, shows the live count
and waterfall, refuses a bad row by its number in Russian, and says why a player is or is not in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from helpers.web_app import csrf_of
from lottocrm.marketing.segments.models import SegmentBehaviour


def _form(csrf: str, **rows: str) -> dict[str, str]:
    form = {"csrf_token": csrf, "join": "all", "channel": "sms"}
    form.update(rows)
    return form


def test_the_builder_saves_counts_and_explains(client_for) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    assert marketer.get("/segments").status_code == 200
    page = marketer.get("/segments/new")
    assert page.status_code == 200 and "Новый сегмент" in page.text
    csrf = csrf_of(marketer, "/segments/new")
    rows = {
        "row-0-field": "profile.age",
        "row-0-op": "ge",
        "row-0-value": "18",
        "row-1-field": "record.spend",
        "row-1-op": "ge",
        "row-1-value": "0,5",
        "row-2-field": "",
        "row-2-op": "eq",
        "row-2-value": "",
    }
    preview = marketer.post("/segment-preview", data=_form(csrf, **rows))
    assert preview.status_code == 200 and 'id="segment-size"' in preview.text
    saved = marketer.post("/segments/new", data=_form(csrf, name="Взрослые игроки", **rows))
    assert saved.status_code == 303, saved.text
    location = saved.headers["location"]
    page = marketer.get(location)
    assert "Взрослые игроки" in page.text and 'value="0.5"' in page.text
    segment_id = re.search(r"/segments/(\d+)", location).group(1)  # type: ignore[union-attr]
    why = marketer.get(f"/segments/{segment_id}/why?player=1001")
    assert why.status_code == 200 and "Игрок 1001" in why.text


def test_a_bad_row_is_refused_by_its_number_in_russian(client_for) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    csrf = csrf_of(marketer, "/segments/new")
    refused = marketer.post(
        "/segments/new",
        data=_form(
            csrf, name="Ошибка", **{"row-0-field": "profile.age", "row-0-op": "ge", "row-0-value": "старый"}
        ),
    )
    assert refused.status_code == 422
    message = re.search(r'id="segment-error">([^<]+)<', refused.text).group(1)  # type: ignore[union-attr]
    assert message.startswith("Строка 1:") and "целое число" in message


def test_an_operator_cannot_open_segments(client_for) -> None:  # type: ignore[no-untyped-def]
    assert client_for("operator").get("/segments").status_code == 403


BEHAVIOUR_ROW = {
    "row-0-field": "behaviour.tickets",
    "row-0-param": "1",
    "row-0-days": "3650",
    "row-0-op": "ge",
    "row-0-value": "2",
    "row-1-field": "behaviour.last_purchase",
    "row-1-days": "3650",
    "row-1-op": "known",
}


def test_a_behaviour_row_keeps_its_window_and_reads_the_lake(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    page = marketer.get("/segments/new")
    assert "Период / тираж" in page.text and "Куплено билетов за период" in page.text
    csrf = csrf_of(marketer, "/segments/new")
    preview = marketer.post("/segment-preview", data=_form(csrf, **BEHAVIOUR_ROW))
    # Player 1001 bought game 1 twice a month in the lake; 1003 once a month in two months.
    size = re.search(r'id="segment-size"[^>]*>([^<]+)<', preview.text)
    assert size is not None and size.group(1).strip() == "2", preview.text
    with engine.connect() as connection:  # the preview's staged rows went with it
        assert connection.scalar(select(func.count()).select_from(SegmentBehaviour)) == 0
    saved = marketer.post("/segments/new", data=_form(csrf, name="Играли в Русское лото", **BEHAVIOUR_ROW))
    assert saved.status_code == 303, saved.text
    page = marketer.get(saved.headers["location"])
    assert 'name="row-0-days" class="tiny seg-days" value="3650"' in page.text
    segment_id = re.search(r"/segments/(\d+)", saved.headers["location"]).group(1)  # type: ignore[union-attr]
    why = marketer.get(f"/segments/{segment_id}/why?player=1001")
    assert "входит в сегмент" in why.text and "Куплено билетов за период" in why.text
    # The last purchase is shown as a moment on the operator's clock, not as a raw UTC value.
    assert "Последняя покупка за период" in why.text and "+00:00" not in why.text, why.text


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"row-0-param": "99"}, "игры 99 нет"),
        ({"row-0-days": "0"}, "нужно целое число от 1 до 3650"),
        ({"row-0-days": "", "row-0-from": "2026-09-02", "row-0-to": "2026-09-01"}, "позже своего конца"),
    ],
    ids=["unknown-game", "zero-days", "from-after-to"],
)
def test_a_bad_behaviour_row_is_refused_by_its_number(client_for, changes, expected) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    csrf = csrf_of(marketer, "/segments/new")
    refused = marketer.post("/segments/new", data=_form(csrf, name="Ошибка", **{**BEHAVIOUR_ROW, **changes}))
    assert refused.status_code == 422
    message = re.search(r'id="segment-error">([^<]+)<', refused.text).group(1)  # type: ignore[union-attr]
    assert message.startswith("Строка 1:") and expected in message, message
