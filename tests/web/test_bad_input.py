"""Hostile and broken input: each is a clear refusal and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity

HOSTILE = [
    "' OR '1'='1",
    "1001; DROP TABLE players; --",
    "%' UNION SELECT password_hash FROM users --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "%_%",
    "\\",
    "\x00",
]


def _counts(engine) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Player)) or 0,
            session.scalar(select(func.count()).select_from(PlayerIdentity)) or 0,
            session.scalar(select(func.count()).select_from(ConsentEvent)) or 0,
            session.scalar(select(func.count()).where(AuditEvent.action.like("player.%.%"))) or 0,
        )


def test_hostile_strings_in_every_search_field(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("supervisor")
    before = _counts(engine)
    for text in HOSTILE:
        for response in (
            client.get("/players", params={"q": text}),
            client.get("/players", params={"q": text}, headers={"HX-Request": "true"}),
            client.get("/api/v1/players", params={"q": text}),
            client.get(
                "/audit",
                params={"actor": text, "action": text, "player_id": text, "since": text, "until": text},
            ),
        ):
            assert response.status_code in (200, 400, 422), (text, response.status_code)
            assert "<script>alert(1)</script>" not in response.text
            assert "onerror=alert(1)>" not in response.text
            assert "49" not in response.text.split("{{7*7}}")[0][-20:] if "{{7*7}}" in response.text else True
        api = client.get("/api/v1/players", params={"q": text})
        if api.status_code == 200:
            assert api.json()["hits"] == []
    assert _counts(engine) == before


@pytest.mark.slow
def test_hostile_strings_in_every_form_field(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    before = _counts(engine)
    for text in HOSTILE:
        for form in (
            {"purpose": text, "channel": "sms", "granted": "yes", "reason": "причина"},
            {"purpose": "advertising", "channel": text, "granted": "yes", "reason": "причина"},
            {"purpose": "advertising", "channel": "sms", "granted": text, "reason": "причина"},
        ):
            response = client.post("/players/1001/consents", data={"csrf_token": csrf, **form})
            assert response.status_code == 400, (form, response.status_code)
            assert "<script>alert(1)</script>" not in response.text
        response = client.post(
            "/players/1001/identities",
            data={"csrf_token": csrf, "kind": text, "value": "x@y.ru", "reason": "причина"},
        )
        assert response.status_code == 400
        response = client.post(
            "/players/1001/identities",
            data={"csrf_token": csrf, "kind": "email", "value": text, "reason": "причина"},
        )
        assert response.status_code in (400, 409)
        assert "<script>alert(1)</script>" not in response.text
    assert _counts(engine) == before


@pytest.mark.slow
def test_script_in_a_reason_is_stored_as_text_and_shown_escaped(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    response = client.post(
        "/players/1001/consents",
        data={
            "csrf_token": csrf,
            "purpose": "advertising",
            "channel": "push",
            "granted": "yes",
            "reason": "<script>alert(1)</script>",
        },
    )
    assert response.status_code == 303
    html = client.get("/players/1001").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_overlong_input(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    before = _counts(engine)
    assert client.get("/players", params={"q": "9" * 201}).status_code == 400
    assert client.get("/api/v1/players", params={"q": "а" * 201}).status_code == 422
    csrf = csrf_of(client, "/players/1001")
    assert (
        client.post(
            "/players/1001/identities",
            data={"csrf_token": csrf, "kind": "email", "value": "a" * 300 + "@x.ru", "reason": "причина"},
        ).status_code
        == 400
    )
    assert client.get("/players/" + "9" * 30).status_code == 422
    assert _counts(engine) == before


def test_non_utf8_bytes(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    before = _counts(engine)
    body = f"csrf_token={csrf}&purpose=advertising&channel=sms&granted=no&reason=".encode() + b"\xff\xfe\xc3("
    response = client.post(
        "/players/1001/consents", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert client.get("/players?q=%ff%fe%c3").status_code == 400
    assert client.get("/api/v1/players?q=%ff%fe%c3").status_code == 400
    percent_encoded = f"csrf_token={csrf}&purpose=advertising&channel=sms&granted=no&reason=%ff%fe".encode()
    assert (
        client.post(
            "/players/1001/consents",
            content=percent_encoded,
            headers={"content-type": "application/x-www-form-urlencoded"},
        ).status_code
        == 400
    )
    assert _counts(engine) == before


@pytest.mark.parametrize("token", [None, "", "stale-token-from-yesterday"])
def test_missing_or_stale_csrf_token_changes_nothing(token: str | None, client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    before = _counts(engine)
    forms = {
        "/players/1001/consents": {
            "purpose": "advertising",
            "channel": "sms",
            "granted": "no",
            "reason": "причина",
        },
        "/players/1001/identities": {"kind": "email", "value": "new@x.ru", "reason": "причина"},
        "/lang": {"locale": "en"},
        "/logout": {},
    }
    for path, form in forms.items():
        data = dict(form) if token is None else {**form, "csrf_token": token}
        response = client.post(path, data=data)
        assert response.status_code == 403, (path, response.status_code)
        # The page says it in the reader's language (the operator's is Russian): reload the form.
        assert "обновите страницу" in response.text
    assert _counts(engine) == before
    assert client.get("/players").status_code == 200  # still signed in: the forged logout did nothing


def test_token_of_another_session_is_stale(client_for) -> None:  # type: ignore[no-untyped-def]
    first, second = client_for("operator"), client_for("supervisor")
    other = csrf_of(second, "/players/1001")
    response = first.post(
        "/players/1001/consents",
        data={
            "csrf_token": other,
            "purpose": "advertising",
            "channel": "sms",
            "granted": "no",
            "reason": "причина",
        },
    )
    assert response.status_code == 403


def test_csrf_header_works_for_scripts(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    response = client.post(
        "/players/1001/consents",
        headers={"X-CSRF-Token": csrf},
        data={"purpose": "advertising", "channel": "sms", "granted": "no", "reason": "по звонку"},
    )
    assert response.status_code == 303


def test_open_redirect_is_refused(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/lang", data={"csrf_token": csrf, "locale": "en", "next": target})
        assert response.headers["location"] == "/"
