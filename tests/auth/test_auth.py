"""Sign-in, lock-out, rate limiting, sessions and cookies, machine API keys, the user CLI."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from helpers.factories import PASSWORD
from helpers.web_app import csrf_of, sign_in
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.auth.models import User, WebSession
from lottocrm.auth.service import MAX_FAILED_LOGINS
from lottocrm.cli.main import app as cli
from lottocrm.db.engine import transaction
from lottocrm.web.security import SESSION_COOKIE

ADMIN = Actor("user:admin")


def _login(client: TestClient, username: str, password: str) -> tuple[int, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )
    return response.status_code, response.text


def test_sign_in_sets_a_hardened_cookie_and_logs_it(anonymous: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    status, _ = _login(anonymous, "operator", PASSWORD)
    assert status == 303
    set_cookie = [h for h in anonymous.cookies.jar if h.name == SESSION_COOKIE][0]
    assert set_cookie.secure
    assert set_cookie.has_nonstandard_attr("HttpOnly")
    assert anonymous.get("/players").status_code == 200
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).where(AuditEvent.action == "auth.login")) == 1


def test_wrong_password_and_unknown_user_get_the_same_answer(anonymous: TestClient) -> None:
    status_wrong, page_wrong = _login(anonymous, "operator", "not the password")
    status_unknown, page_unknown = _login(anonymous, "nobody-here", "not the password")
    assert status_wrong == status_unknown == 401
    message = re.search(r'role="alert">([^<]+)<', page_wrong)
    assert message and message.group(1) == re.search(r'role="alert">([^<]+)<', page_unknown).group(1)  # type: ignore[union-attr]


def test_lock_out_after_repeated_failures_even_with_the_right_password(anonymous: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    for _ in range(MAX_FAILED_LOGINS):
        assert _login(anonymous, "analyst", "wrong password!")[0] == 401
    assert _login(anonymous, "analyst", PASSWORD)[0] == 401
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.username == "analyst"))
        assert user is not None and user.locked_until is not None
        auth.reset_password(session, actor=ADMIN, username="analyst", password="a brand new password")
    assert _login(anonymous, "analyst", "a brand new password")[0] == 303


def test_one_address_is_rate_limited(anonymous: TestClient) -> None:
    statuses = [_login(anonymous, f"user{n}", "guess guess guess")[0] for n in range(21)]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429
    assert _login(anonymous, "operator", PASSWORD)[0] == 429


def test_session_is_rotated_at_sign_in_and_destroyed_at_sign_out(anonymous: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    anonymous.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", domain="testserver.local")
    sign_in(anonymous, "operator")
    first = anonymous.cookies.get(SESSION_COOKIE)
    assert first and first != "planted-by-an-attacker"
    sign_in(anonymous, "operator")
    second = anonymous.cookies.get(SESSION_COOKIE)
    assert second != first
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1
    csrf = csrf_of(anonymous)
    assert anonymous.post("/logout", data={"csrf_token": csrf}).status_code == 303
    anonymous.cookies.set(SESSION_COOKIE, second)
    assert anonymous.get("/players").status_code == 303


def test_tampered_or_foreign_session_cookie_is_refused(anonymous: TestClient) -> None:
    sign_in(anonymous, "operator")
    token = anonymous.cookies.get(SESSION_COOKIE)
    assert token
    anonymous.cookies.clear()
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 5000, "' OR 1=1 --"):
        anonymous.cookies.set(SESSION_COOKIE, forged)
        response = anonymous.get("/players")
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert anonymous.get("/api/v1/players", params={"q": "1001"}).status_code == 401


def test_disabled_user_is_signed_out_and_cannot_sign_in(client_for, engine, anonymous: TestClient) -> None:  # type: ignore[no-untyped-def]
    operator = client_for("operator")
    with transaction(engine) as session:
        auth.disable_user(session, actor=ADMIN, username="operator")
    assert operator.get("/players").status_code == 303
    assert _login(anonymous, "operator", PASSWORD)[0] == 401


def test_security_headers_on_every_response(anonymous: TestClient) -> None:
    for path in ("/login", "/players", "/static/app.js", "/api/v1/health", "/nowhere"):
        headers = anonymous.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"


def test_login_form_without_its_csrf_cookie_is_refused(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/login", data={"username": "operator", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in anonymous.cookies


def test_api_keys_are_scoped_and_revocable(anonymous: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        key, secret = auth.create_api_key(session, actor=ADMIN, name="banners", scopes=["players:search"])
    headers = {"X-API-Key": secret}
    found = anonymous.get("/api/v1/players", params={"q": "+7 916 123-45-12"}, headers=headers)
    assert found.status_code == 200
    hit = found.json()["hits"][0]
    assert hit["player_id"] == 1001 and hit["identities"][0]["value"] == "+7 9** ***-**-12"
    assert anonymous.get("/api/v1/players/1001", headers=headers).status_code == 404
    assert anonymous.get("/api/v1/reports/kpi", headers=headers).status_code == 403
    assert (
        anonymous.get(
            "/api/v1/players", params={"q": "1001"}, headers={"X-API-Key": secret + "x"}
        ).status_code
        == 401
    )
    with transaction(engine) as session:
        auth.revoke_api_key(session, actor=ADMIN, prefix=key.prefix)
    assert anonymous.get("/api/v1/players", params={"q": "1001"}, headers=headers).status_code == 401


@pytest.mark.usefixtures("seeded")
def test_user_and_apikey_cli(engine) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    created = runner.invoke(cli, ["user", "create", "Maria.Ivanova", "--role", "operator", "--name", "Мария"])
    assert created.exit_code == 0, created.output
    assert re.search(r"password: \S{12,}", created.output)
    assert runner.invoke(cli, ["user", "create", "maria.ivanova", "--role", "operator"]).exit_code == 1
    assert "unknown role" in runner.invoke(cli, ["user", "create", "x1", "--role", "god"]).output
    weak = runner.invoke(
        cli, ["user", "create", "x2", "--role", "admin", "--password-stdin"], input="short\n"
    )
    assert weak.exit_code == 1 and "at least" in weak.output
    reset = runner.invoke(
        cli, ["user", "reset-password", "maria.ivanova", "--password-stdin"], input="another long password\n"
    )
    assert reset.exit_code == 0
    assert runner.invoke(cli, ["user", "disable", "maria.ivanova"]).exit_code == 0
    assert runner.invoke(cli, ["user", "disable", "nobody"]).exit_code == 1
    key = runner.invoke(cli, ["apikey", "create", "banners", "--scope", "players:search"])
    assert key.exit_code == 0
    prefix = re.search(r"API key (\w{8})", key.output).group(1)  # type: ignore[union-attr]
    assert runner.invoke(cli, ["apikey", "revoke", prefix]).exit_code == 0
    assert runner.invoke(cli, ["apikey", "create", "x", "--scope", "players:edit"]).exit_code == 1
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.username == "maria.ivanova"))
        assert user is not None and user.disabled and user.display_name == "Мария"


def test_admin_creates_and_disables_users_in_the_ui(client_for, anonymous: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    csrf = csrf_of(admin, "/admin/users")
    page = admin.post(
        "/admin/users",
        data={"csrf_token": csrf, "username": "Olga.K", "role": "operator", "display_name": "Ольга К."},
    )
    password = re.search(r'id="new-password">[^<]*: (\S+)</p>', page.text)
    assert page.status_code == 200 and password, page.text
    sign_in(anonymous, "olga.k", password.group(1))
    for bad in ("<script>alert(1)</script>", "' OR 1=1 --", "x" * 65):
        refused = admin.post("/admin/users", data={"csrf_token": csrf, "username": bad, "role": "operator"})
        assert refused.status_code == 400 and "<script>alert(1)</script>" not in refused.text
    assert (
        admin.post("/admin/users", data={"csrf_token": csrf, "username": "x9", "role": "god"}).status_code
        == 400
    )
    assert admin.post("/admin/users/olga.k/disable", data={"csrf_token": csrf}).status_code == 303
    assert anonymous.get("/players").status_code == 303
    assert admin.post("/admin/users/nobody/disable", data={"csrf_token": csrf}).status_code == 404
    with transaction(engine) as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "user:admin")).all()
        assert "user.create" in actions and "user.disable" in actions
