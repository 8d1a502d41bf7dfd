"""Fixtures: a running app over a migrated database (both dialects), seeded with personas, players and a small
lake; signed-in clients per role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine

from helpers.factories import PASSWORD, make_lake, make_players, make_users
from lottocrm.auth import passwords
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings
from lottocrm.web.app import create_app

BASE_URL = "https://testserver"


@pytest.fixture(scope="session", autouse=True)
def cheap_argon2() -> Iterator[None]:
    """Real argon2id, with the smallest cost parameters: the suite signs in hundreds of times and asserts
    behaviour, not hashing cost. Production keeps pwdlib's defaults."""
    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", hasher)
        passwords._dummy_hash.cache_clear()
        yield
        passwords._dummy_hash.cache_clear()


@pytest.fixture
def seeded(settings: Settings, engine: Engine) -> Settings:
    make_users(engine)
    make_players(engine)
    make_lake(Lake(settings.lake_path))
    return settings


@pytest.fixture
def app(seeded: Settings):  # type: ignore[no-untyped-def]
    return create_app(seeded)


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        yield client


def csrf_of(client: TestClient, path: str = "/players") -> str:
    """The session's CSRF token, as a page would embed it."""
    html = client.get(path).text
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, f"no CSRF meta tag on {path}"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def client_for(app) -> Iterator[Callable[[str], TestClient]]:  # type: ignore[no-untyped-def]
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(app, base_url=BASE_URL, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        sign_in(client, role)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
