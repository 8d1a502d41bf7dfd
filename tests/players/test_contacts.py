"""Replacing and removing a phone or e-mail: UI (htmx and plain form) and API, reason, audit, history."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.players.models import FormerIdentity, PlayerIdentity
from web.test_bad_input import HOSTILE

HTMX = {"HX-Request": "true"}


def _identity_id(engine, player_id: int, kind: str) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return session.scalar(
            select(PlayerIdentity.id).where(
                PlayerIdentity.player_id == player_id, PlayerIdentity.kind == kind
            )
        )


def _state(engine) -> tuple[list[tuple[int, str, str]], int, int]:  # type: ignore[no-untyped-def]
    """Live identities, history rows and contact-change audit rows: what a refusal must leave untouched."""
    with transaction(engine) as session:
        live = sorted(
            session.execute(select(PlayerIdentity.player_id, PlayerIdentity.kind, PlayerIdentity.value))
        )
        history = session.scalar(select(func.count()).select_from(FormerIdentity)) or 0
        audited = session.scalar(
            select(func.count()).where(
                AuditEvent.action.in_(("player.identity.replace", "player.identity.remove"))
            )
        )
        return [tuple(row) for row in live], history, audited or 0


def test_replace_a_phone_through_htmx(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    phone_id = _identity_id(engine, 1001, "phone")
    response = client.post(
        f"/players/1001/identities/{phone_id}/replace",
        data={"csrf_token": csrf, "value": "8 (926) 000-11-22", "reason": "новый номер по звонку"},
        headers=HTMX,
    )
    assert response.status_code == 200, response.text
    assert "<html" not in response.text and 'id="contacts"' in response.text
    assert "+79260001122" in response.text and "+79161234512" in response.text  # new live, old in history
    with transaction(engine) as session:
        phones = session.scalars(
            select(PlayerIdentity.value).where(
                PlayerIdentity.player_id == 1001, PlayerIdentity.kind == "phone"
            )
        ).all()
        assert phones == ["+79260001122"]
        former = session.scalars(select(FormerIdentity)).one()
        assert (former.value, former.change, former.replaced_by) == (
            "+79161234512",
            "replaced",
            "+79260001122",
        )
        assert (former.changed_by, former.reason) == ("user:operator", "новый номер по звонку")
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "player.identity.replace")
        ).one()
        assert event.player_id == 1001 and event.detail["reason"] == "новый номер по звонку"
        assert event.detail["history_id"] == former.id
        assert "+79161234512" not in str(event.detail)  # masked in the log
    # The freed number may now be given to another player.
    csrf = csrf_of(client, "/players/1002")
    added = client.post(
        "/players/1002/identities",
        data={"csrf_token": csrf, "kind": "phone", "value": "+7 916 123-45-12", "reason": "номер перешёл"},
    )
    assert added.status_code == 303


def test_remove_an_email_with_a_plain_form(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("supervisor")
    csrf = csrf_of(client, "/players/1001")
    email_id = _identity_id(engine, 1001, "email")
    response = client.post(
        f"/players/1001/identities/{email_id}/remove", data={"csrf_token": csrf, "reason": "просит удалить"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/players/1001?saved=1"
    page = client.get("/players/1001").text
    assert "Former contacts" in page or "Прежние контакты" in page
    with transaction(engine) as session:
        assert _identity_id(engine, 1001, "email") is None
        former = session.scalars(select(FormerIdentity)).one()
        assert (former.kind, former.value, former.change) == ("email", "petr.fedorov@mail.ru", "removed")
        assert former.changed_by == "user:supervisor"


def test_api_replace_and_remove(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    headers = {"X-CSRF-Token": csrf_of(client, "/players/1001")}
    email_id = _identity_id(engine, 1001, "email")
    replaced = client.put(
        f"/api/v1/players/1001/identities/{email_id}",
        json={"value": " Petr@Example.RU ", "reason": "сменил почту"},
        headers=headers,
    )
    assert replaced.status_code == 200, replaced.text
    assert {(i["kind"], i["value"]) for i in replaced.json()} >= {("email", "petr@example.ru")}
    phone_id = _identity_id(engine, 1001, "phone")
    removed = client.request(
        "DELETE",
        f"/api/v1/players/1001/identities/{phone_id}",
        json={"reason": "не его номер"},
        headers=headers,
    )
    assert removed.status_code == 200, removed.text
    assert "phone" not in {i["kind"] for i in removed.json()}
    live, history, audited = _state(engine)
    assert history == 2 and audited == 2


def test_refusals_change_nothing(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    headers = {"X-CSRF-Token": csrf}
    phone_id = _identity_id(engine, 1001, "phone")
    card_id = _identity_id(engine, 1001, "card")
    other_phone_id = _identity_id(engine, 1002, "phone")
    before = _state(engine)
    replace = f"/players/1001/identities/{phone_id}/replace"
    cases = [
        # (path, form, expected status)
        (replace, {"value": "+7 903 555-44-33", "reason": "причина"}, 409),  # another player's number
        (replace, {"value": "8 916 123 45 12", "reason": "причина"}, 400),  # unchanged
        (replace, {"value": "12345", "reason": "причина"}, 400),  # not a phone
        (replace, {"value": "+7 926 000-11-22"}, 400),  # missing reason
        (replace, {"value": "+7 926 000-11-22", "reason": "  "}, 400),  # blank reason
        (replace, {"value": "+7 926 000-11-22", "reason": "я" * 501}, 400),  # overlong reason
        (replace, {"value": "9" * 255, "reason": "причина"}, 400),  # overlong value
        (replace, {"value": "", "reason": "причина"}, 400),  # empty value
        (f"/players/1001/identities/{card_id}/remove", {"reason": "причина"}, 400),  # a card: loyalty's
        (f"/players/1001/identities/{other_phone_id}/remove", {"reason": "причина"}, 404),  # not his
        ("/players/1001/identities/999999/remove", {"reason": "причина"}, 404),
        (f"/players/999999/identities/{phone_id}/remove", {"reason": "причина"}, 404),
    ]
    for path, form, status in cases:
        for headers_ in ({}, HTMX):
            response = client.post(path, data={"csrf_token": csrf, **form}, headers=headers_)
            assert response.status_code == status, (path, form, headers_, response.status_code)
    for form in [{"value": text, "reason": "причина"} for text in HOSTILE] + [
        {"value": "+7 926 000-11-22", "reason": "при\x00чина"},
        {"value": "+7 926 000-11-22", "reason": "при\x1bчина"},
    ]:
        response = client.post(replace, data={"csrf_token": csrf, **form}, headers=HTMX)
        assert response.status_code == 400, (form, response.status_code)
        assert "<script>alert(1)</script>" not in response.text
    api = f"/api/v1/players/1001/identities/{phone_id}"
    for body, status in (
        ({"value": "+7 903 555-44-33", "reason": "причина"}, 409),
        ({"value": "+7 926 000-11-22"}, 422),
        ({"value": "+7 926 000-11-22", "reason": "я" * 501}, 422),
        ({"value": "' OR '1'='1", "reason": "причина"}, 400),
        ({"value": "+7 926 000-11-22", "reason": "причина", "extra": 1}, 422),
    ):
        assert client.put(api, json=body, headers=headers).status_code == status, body
    assert _state(engine) == before


@pytest.mark.parametrize("csrf", [None, "stale-token"])
def test_csrf_is_required(client_for, engine, csrf) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    phone_id = _identity_id(engine, 1001, "phone")
    before = _state(engine)
    form = {"reason": "причина"} | ({"csrf_token": csrf} if csrf else {})
    assert client.post(f"/players/1001/identities/{phone_id}/remove", data=form).status_code in (400, 403)
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    api = client.request(
        "DELETE", f"/api/v1/players/1001/identities/{phone_id}", json={"reason": "причина"}, headers=headers
    )
    assert api.status_code in (400, 403)
    assert _state(engine) == before


def test_a_reason_is_free_text_stored_as_typed_and_shown_escaped(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    reason = "<script>alert(1)</script> ' OR '1'='1"
    phone_id = _identity_id(engine, 1001, "phone")
    response = client.post(
        f"/players/1001/identities/{phone_id}/remove",
        data={"csrf_token": csrf, "reason": reason},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text and "&lt;script&gt;" in response.text
    with transaction(engine) as session:
        assert session.scalars(select(FormerIdentity.reason)).one() == reason
