"""The segment pages as a marketer uses them: the builder saves a segment from its rows, shows the live count
and waterfall, refuses a bad row by its number in Russian, and says why a player is or is not in."""

from __future__ import annotations

import re

from helpers.web_app import csrf_of


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
