"""The admin's API-key page: create (secret shown once), use, revoke; audited; bad input refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.auth.models import ApiKey
from lottocrm.db.engine import transaction
from web.test_bad_input import HOSTILE


def _create(client, csrf: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post("/admin/api-keys", data={"csrf_token": csrf, **form})


def test_create_use_and_revoke_a_key(client_for, anonymous, engine) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    csrf = csrf_of(admin, "/admin/api-keys")
    created = _create(admin, csrf, name="сайт: баннеры", **{"scope:players:search": "1"})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    secret = re.search(r"<code>(lc_api_[^<]+)</code>", created.text).group(1)
    prefix = secret.split("_")[2]
    listing = admin.get("/admin/api-keys").text
    assert prefix in listing and secret not in listing  # shown once, never again
    with transaction(engine) as session:
        key = session.scalars(select(ApiKey)).one()
        assert key.scopes == ["players:search"] and secret not in key.digest

    headers = {"X-API-Key": secret}
    assert anonymous.get("/api/v1/players", params={"q": "1001"}, headers=headers).status_code == 200
    # Scoped: search only, so the 360 and the reports stay closed.
    assert anonymous.get("/api/v1/players/1001", headers=headers).status_code == 404
    assert anonymous.get("/api/v1/reports", headers=headers).status_code == 403

    revoked = admin.post(f"/admin/api-keys/{prefix}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert anonymous.get("/api/v1/players", params={"q": "1001"}, headers=headers).status_code == 401
    with transaction(engine) as session:
        actions = session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail).where(
                AuditEvent.action.like("apikey.%")
            )
        ).all()
    assert [(a, actor) for a, actor, _ in actions] == [
        ("apikey.create", "user:admin"),
        ("apikey.revoke", "user:admin"),
    ]
    assert all(secret not in str(detail) for _, _, detail in actions)


def _keys(engine) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(ApiKey)) or 0


@pytest.mark.parametrize(
    "form",
    [
        {"name": "без прав"},  # no scope
        {"name": "админ", "scope:users:manage": "1"},  # a scope keys may not have
        {"name": "правка", "scope:players:edit": "1"},
        {"name": "", "scope:players:search": "1"},  # missing name
        {"name": "я" * 101, "scope:players:search": "1"},  # overlong name
    ],
)
def test_bad_key_requests_are_refused(form, client_for, engine) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    csrf = csrf_of(admin, "/admin/api-keys")
    response = _create(admin, csrf, **form)
    assert response.status_code == 400 and "lc_api_" not in response.text
    assert _keys(engine) == 0


def test_hostile_names_are_stored_as_text_and_shown_escaped(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    csrf = csrf_of(admin, "/admin/api-keys")
    for text in HOSTILE[:6]:
        assert _create(admin, csrf, name=text, **{"scope:reports:view": "1"}).status_code == 200
    page = admin.get("/admin/api-keys").text
    assert "<script>alert(1)</script>" not in page and "onerror=alert(1)>" not in page


def test_revoking_an_unknown_key_and_missing_csrf(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    csrf = csrf_of(admin, "/admin/api-keys")
    assert admin.post("/admin/api-keys/nosuch00/revoke", data={"csrf_token": csrf}).status_code == 404
    assert admin.post("/admin/api-keys/" + "x" * 17 + "/revoke", data={"csrf_token": csrf}).status_code == 422
    assert _create(admin, "", name="сайт", **{"scope:players:search": "1"}).status_code == 403
    assert _create(admin, "stale", name="сайт", **{"scope:players:search": "1"}).status_code == 403
    assert _keys(engine) == 0
