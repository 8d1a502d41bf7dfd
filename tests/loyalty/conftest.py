from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lottocrm.loyalty.till.fastpath import TillFastPath
from lottocrm.settings import Settings
from lottocrm.web.app import create_app
from loyalty.factories import Card, TillPartner, add_card, add_partner
from loyalty.live_server import LiveServer


@pytest.fixture
def shop(engine: Engine) -> TillPartner:
    return add_partner(engine, "shop")


@pytest.fixture
def other_shop(engine: Engine) -> TillPartner:
    return add_partner(engine, "othershop")


@pytest.fixture
def card(engine: Engine) -> Card:
    return add_card(engine, 1001, points=1_000)


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def server(db_url: str, tmp_path: Path, engine: Engine) -> Iterator[LiveServer]:
    """A real ``lottocrm serve`` on the test's database, for tests that kill it or its connections."""
    if engine.dialect.name != "postgresql":
        pytest.skip("server crash, timeout and lost-connection tests run on PostgreSQL, the production store")
    live = LiveServer(db_url=db_url, data_dir=tmp_path / "data").start()
    yield live
    live.stop()


@pytest.fixture(params=["fast", "python"])
def till(
    request: pytest.FixtureRequest, client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The app with its fast path (answers redemptions on PostgreSQL), or with every call let through to
    FastAPI's handlers, as when a subscriber listens."""
    if request.param == "fast" and engine.dialect.name != "postgresql":
        pytest.skip("the fast path answers on PostgreSQL only; SQLite always takes the FastAPI handlers")
    if request.param == "python":
        monkeypatch.setattr(TillFastPath, "_answers", lambda self, route: False)
    yield client
