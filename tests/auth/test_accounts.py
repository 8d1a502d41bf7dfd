"""Managing staff accounts: enable, change a role, unlock, reset a password — from the admin's page and the
console, each audited — and never a system without an enabled admin."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from helpers.factories import PASSWORD
from helpers.web_app import csrf_of, sign_in
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.auth.models import ROLES, User
from lottocrm.auth.service import MAX_FAILED_LOGINS
from lottocrm.cli.main import app as cli
from lottocrm.db.engine import transaction

ADMIN = Actor("user:admin")
CONSOLE = Actor("cli:root")


def _user(engine, username: str) -> User:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        session.expunge(user)
        return user


def _actions(engine, actor: str) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.actor == actor)
            .order_by(AuditEvent.id)
        )
        return [(action, detail) for action, detail in rows if action.startswith("user.")]


def _signs_in(client: TestClient, username: str, password: str = PASSWORD) -> bool:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )
    return answer.status_code == 303


def test_a_disabled_account_is_enabled_again_and_signs_in(anonymous: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        auth.disable_user(session, actor=ADMIN, username="operator")
    assert not _signs_in(anonymous, "operator")
    with transaction(engine) as session:
        auth.enable_user(session, actor=ADMIN, username="operator")
    assert _signs_in(anonymous, "operator")
    assert [action for action, _ in _actions(engine, "user:admin")] == ["user.disable", "user.enable"]


@pytest.mark.usefixtures("seeded")
def test_the_last_enabled_admin_is_never_disabled_or_demoted(engine) -> None:  # type: ignore[no-untyped-def]
    for change in (
        lambda session: auth.disable_user(session, actor=CONSOLE, username="admin"),
        lambda session: auth.change_role(session, actor=CONSOLE, username="admin", role="supervisor"),
    ):
        with pytest.raises(auth.LastAdmin, match="last enabled admin"), transaction(engine) as session:
            change(session)
    user = _user(engine, "admin")
    assert user.role == "admin" and not user.disabled
    # A second admin makes the first one free to go; then the second is the last.
    with transaction(engine) as session:
        auth.change_role(session, actor=CONSOLE, username="supervisor", role="admin")
        auth.disable_user(session, actor=CONSOLE, username="admin")
    with pytest.raises(auth.LastAdmin), transaction(engine) as session:
        auth.change_role(session, actor=CONSOLE, username="supervisor", role="operator")
    # A disabled admin does not count: enabling one brings the count back.
    with transaction(engine) as session:
        auth.enable_user(session, actor=CONSOLE, username="admin")
        auth.change_role(session, actor=CONSOLE, username="supervisor", role="operator")
    assert _user(engine, "supervisor").role == "operator"


def test_an_admin_must_confirm_locking_themselves_out(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        auth.change_role(session, actor=CONSOLE, username="supervisor", role="admin")
    admin = client_for("admin")
    csrf = csrf_of(admin, "/admin/users")
    asked = admin.post("/admin/users/admin/disable", data={"csrf_token": csrf})
    assert asked.status_code == 409 and 'id="confirm"' in asked.text
    assert 'action="/admin/users/admin/disable"' in asked.text and 'name="confirm" value="yes"' in asked.text
    assert not _user(engine, "admin").disabled
    demote = admin.post("/admin/users/admin/role", data={"csrf_token": csrf, "role": "analyst"})
    assert demote.status_code == 409 and 'name="role" value="analyst"' in demote.text
    assert _user(engine, "admin").role == "admin"
    done = admin.post("/admin/users/admin/disable", data={"csrf_token": csrf, "confirm": "yes"})
    assert done.status_code == 303 and _user(engine, "admin").disabled
    assert admin.get("/admin/users").status_code == 303  # signed out with the account


def test_the_admin_page_enables_changes_roles_unlocks_and_resets(client_for, anonymous, engine) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    csrf = csrf_of(admin, "/admin/users")
    for _ in range(MAX_FAILED_LOGINS):
        assert not _signs_in(anonymous, "analyst", "wrong password!")
    assert "locked until" in admin.get("/admin/users?lang=en").text
    assert admin.post("/admin/users/analyst/unlock", data={"csrf_token": csrf}).status_code == 303
    assert _signs_in(anonymous, "analyst")

    assert admin.post("/admin/users/marketer/disable", data={"csrf_token": csrf}).status_code == 303
    reset = admin.post("/admin/users/marketer/reset-password?lang=en", data={"csrf_token": csrf})
    password = re.search(r'id="new-password">[^<]*: (\S+)<br>', reset.text)
    assert reset.status_code == 200 and password and "The account is disabled" in reset.text, reset.text
    assert admin.post("/admin/users/marketer/enable", data={"csrf_token": csrf}).status_code == 303
    assert _signs_in(anonymous, "marketer", password.group(1))

    role = admin.post("/admin/users/operator/role", data={"csrf_token": csrf, "role": "supervisor"})
    assert role.status_code == 303 and _user(engine, "operator").role == "supervisor"
    assert (
        admin.post("/admin/users/operator/role", data={"csrf_token": csrf, "role": "god"}).status_code == 400
    )
    assert admin.post("/admin/users/nobody/enable", data={"csrf_token": csrf}).status_code == 404
    actions = [(action, detail.get("to")) for action, detail in _actions(engine, "user:admin")]
    assert actions == [
        ("user.unlock", None),
        ("user.disable", None),
        ("user.reset_password", None),
        ("user.enable", None),
        ("user.change_role", "supervisor"),
    ]


def test_the_admin_page_refuses_in_russian_to_disable_the_last_admin(client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    csrf = csrf_of(admin, "/admin/users")
    refused = admin.post("/admin/users/admin/disable?lang=ru", data={"csrf_token": csrf, "confirm": "yes"})
    assert refused.status_code == 409
    alert = re.search(r'class="error" role="alert">([^<]+)<', refused.text)
    assert alert and "последний" in alert.group(1) and "admin" in alert.group(1), refused.text
    assert "last enabled admin" not in refused.text


@pytest.mark.usefixtures("seeded")
def test_the_console_enables_changes_roles_unlocks_and_keeps_an_admin(engine) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    last = runner.invoke(cli, ["user", "disable", "admin"])
    assert last.exit_code == 1 and "last enabled admin" in last.output
    assert runner.invoke(cli, ["user", "role", "admin", "operator"]).exit_code == 1
    assert runner.invoke(cli, ["user", "disable", "analyst"]).exit_code == 0
    reset = runner.invoke(cli, ["user", "reset-password", "analyst"])
    assert reset.exit_code == 0 and "user enable analyst" in reset.output
    assert runner.invoke(cli, ["user", "enable", "analyst"]).exit_code == 0
    assert not _user(engine, "analyst").disabled
    assert runner.invoke(cli, ["user", "role", "analyst", "supervisor"]).exit_code == 0
    assert runner.invoke(cli, ["user", "role", "analyst", "god"]).exit_code == 1
    assert runner.invoke(cli, ["user", "unlock", "analyst"]).exit_code == 0
    assert _user(engine, "analyst").role == "supervisor"
    with transaction(engine) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor.like("cli:%"), AuditEvent.action.like("user.%"))
        ).all()
    assert actions == ["user.disable", "user.reset_password", "user.enable", "user.change_role"]


def test_a_new_password_signs_in_once_the_account_is_enabled(client_for, anonymous, engine) -> None:  # type: ignore[no-untyped-def]
    """The reported trap: a reset printed a password for a disabled account that could never sign in."""
    with transaction(engine) as session:
        auth.disable_user(session, actor=ADMIN, username="operator")
        auth.reset_password(session, actor=ADMIN, username="operator", password="a brand new password")
    assert not _signs_in(anonymous, "operator", "a brand new password")
    with transaction(engine) as session:
        auth.enable_user(session, actor=ADMIN, username="operator")
    sign_in(anonymous, "operator", "a brand new password")


def test_the_users_list_is_paged(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        for n in range(55):
            auth.create_user(
                session,
                actor=CONSOLE,
                username=f"op{n:02d}",
                role="operator",
                password="a long enough password",
            )
    admin = client_for("admin")
    first, second = admin.get("/admin/users").text, admin.get("/admin/users?page=2").text
    shown = re.findall(r'<tr id="user-([^"]+)">', first) + re.findall(r'<tr id="user-([^"]+)">', second)
    # 55 operators plus one user per role (make_users).
    assert len(shown) == 55 + len(ROLES) and len(set(shown)) == 55 + len(ROLES)
    assert 'href="/admin/users?page=2"' in first and 'href="/admin/users?page=1"' in second
