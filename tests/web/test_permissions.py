"""Each role × each route → allowed or refused, per the one permission matrix; no route escapes the check."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from helpers.web_app import csrf_of
from lottocrm.auth.models import ROLES, ApiKey
from lottocrm.auth.permissions import ROLE_PERMISSIONS, Permission
from lottocrm.db.engine import transaction
from lottocrm.web.app import create_app

P = Permission
MATRIX_KEY = "0a1b2c3d"  # the prefix of a key the matrix test seeds, for the revoke route
OLDER = "2026-06-30T00:00:00%2B00:00|1"  # a page of tickets or wins older than the end of June
# (method, path, permission needed (None = any signed-in user), refused with 404 instead of 403?)
ROUTES = [
    ("GET", "/players?q=Федоров", P.PLAYER_SEARCH, False),
    ("GET", "/players/1001", P.PLAYER_VIEW, True),
    ("POST", "/players/1001/consents", P.PLAYER_EDIT, True),
    ("POST", "/players/1001/identities", P.PLAYER_EDIT, True),
    # Identity ids follow the factory's insertion order: 1001's phone 1, e-mail 2, card 3; 1002's phone 4;
    # the e-mail added just above is 5.
    ("POST", "/players/1001/identities/2/replace", P.PLAYER_EDIT, True),
    ("POST", "/players/1001/identities/1/remove", P.PLAYER_EDIT, True),
    ("PUT", "/api/v1/players/1001/identities/5", P.PLAYER_EDIT, True),
    ("DELETE", "/api/v1/players/1002/identities/4", P.PLAYER_EDIT, True),
    ("GET", f"/players/1001/activity/tickets?after={OLDER}", P.PLAYER_VIEW, True),
    ("GET", "/players/1001/access/views", P.PLAYER_EDIT, True),
    ("GET", "/dashboard", P.REPORTS_VIEW, False),
    ("GET", "/dashboard/cards", P.REPORTS_VIEW, False),
    ("GET", "/audit", P.AUDIT_VIEW, False),
    ("GET", "/audit/export.csv", P.AUDIT_VIEW, False),
    ("GET", "/admin/users", P.USERS_MANAGE, False),
    ("POST", "/admin/users", P.USERS_MANAGE, False),
    ("POST", "/admin/users/analyst/disable", P.USERS_MANAGE, False),
    ("POST", "/admin/users/analyst/enable", P.USERS_MANAGE, False),
    ("POST", "/admin/users/analyst/unlock", P.USERS_MANAGE, False),
    ("POST", "/admin/users/marketer/role", P.USERS_MANAGE, False),
    ("POST", "/admin/users/marketer/reset-password", P.USERS_MANAGE, False),
    ("GET", "/admin/api-keys", P.USERS_MANAGE, False),
    ("POST", "/admin/api-keys", P.USERS_MANAGE, False),
    ("POST", f"/admin/api-keys/{MATRIX_KEY}/revoke", P.USERS_MANAGE, False),
    ("GET", "/identity/review", P.IDENTITY_REVIEW, False),
    ("GET", "/identity/review?status=accepted&page=2", P.IDENTITY_REVIEW, False),
    ("GET", "/", None, False),
    ("POST", "/lang", None, False),
    ("GET", "/api/v1/players?q=Федоров", P.PLAYER_SEARCH, False),
    ("GET", "/api/v1/players/1001", P.PLAYER_VIEW, True),
    ("GET", f"/api/v1/players/1001/activity/wins?after={OLDER}", P.PLAYER_VIEW, True),
    ("GET", "/api/v1/reports", P.REPORTS_VIEW, False),
    ("GET", "/api/v1/reports/kpi", P.REPORTS_VIEW, False),
    ("GET", "/api/v1/reports/segments/sizes", P.REPORTS_VIEW, False),
    ("GET", "/api/v1/reports/segments/migration", P.REPORTS_VIEW, False),
]
FORMS = {
    "/players/1001/consents": {
        "purpose": "advertising",
        "channel": "push",
        "granted": "yes",
        "reason": "по звонку",
    },
    "/players/1001/identities": {"kind": "email", "value": "second@example.ru", "reason": "по звонку"},
    "/players/1001/identities/2/replace": {"value": "new@example.ru", "reason": "по звонку"},
    "/players/1001/identities/1/remove": {"reason": "по звонку"},
    "/api/v1/players/1001/identities/5": {"value": "third@example.ru", "reason": "по звонку"},
    "/api/v1/players/1002/identities/4": {"reason": "по звонку"},
    "/lang": {"locale": "en", "next": "/"},
    "/admin/users": {"username": "new.operator", "role": "operator", "display_name": "Новый"},
    "/admin/users/analyst/disable": {},
    "/admin/users/analyst/enable": {},
    "/admin/users/analyst/unlock": {},
    "/admin/users/marketer/role": {"role": "marketer"},
    "/admin/users/marketer/reset-password": {},
    "/admin/api-keys": {"name": "сайт", "scope:players:search": "1"},
    f"/admin/api-keys/{MATRIX_KEY}/revoke": {},
}
OWN_MODULES = (
    "lottocrm.web",
    "lottocrm.auth",
    "lottocrm.audit",
    "lottocrm.players",
    "lottocrm.analytics",
    "lottocrm.identity",
)
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/api/v1/health"), ("GET", "/api/v1/docs")}


def _call(client: TestClient, method: str, path: str, csrf: str | None) -> int:
    if method == "GET":
        return client.get(path).status_code
    if path.startswith("/api/"):
        headers = {"X-CSRF-Token": csrf} if csrf else {}
        return client.request(method, path, json=FORMS[path], headers=headers).status_code
    data = dict(FORMS[path])
    if csrf:
        data["csrf_token"] = csrf
    return client.post(path, data=data).status_code


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role: str, client_for, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        session.add(
            ApiKey(
                prefix=MATRIX_KEY,
                digest="0" * 64,
                name="matrix",
                scopes=["players:search"],
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    client = client_for(role)
    granted = ROLE_PERMISSIONS[role]
    for method, path, permission, hidden in ROUTES:
        csrf = _csrf(client, granted)
        status = _call(client, method, path, csrf)
        if permission is None or permission in granted:
            assert status in (200, 303), f"{role} {method} {path} → {status}, expected allowed"
        else:
            assert status == (404 if hidden else 403), f"{role} {method} {path} → {status}, expected refused"


def _csrf(client: TestClient, granted: frozenset[Permission]) -> str:
    """The token from a page this role may open (every page's layout carries it)."""
    page = (
        "/players" if P.PLAYER_SEARCH in granted else "/dashboard" if P.REPORTS_VIEW in granted else "/audit"
    )
    return csrf_of(client, page)


def test_anonymous_is_sent_to_sign_in(anonymous: TestClient) -> None:
    for method, path, _permission, _hidden in ROUTES:
        status = _call(anonymous, method, path, None)
        expected = 401 if path.startswith("/api/") else 303
        assert status == expected, f"anonymous {method} {path} → {status}"
    assert anonymous.get("/players").headers["location"] == "/login"


def test_every_route_of_ours_goes_through_the_permission_check(seeded) -> None:  # type: ignore[no-untyped-def]
    app = create_app(seeded)
    checked = 0
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.endpoint.__module__.startswith(OWN_MODULES):
            continue
        for method in route.methods:
            if (method, context.path) in PUBLIC:
                continue
            gates = [d for d in route.dependant.dependencies if hasattr(d.call, "permission")]
            assert len(gates) == 1, f"{method} {context.path} has no permission check"
            checked += 1
    assert checked >= len(ROUTES)
