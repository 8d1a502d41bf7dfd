"""Past its time budget a decision answers the default banner, also when it is still queued: on SQLite the
process's decisions wait for one another, and one that cannot start within 50 ms answers from memory without
touching the store (no impression, no budget spent)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from helpers.factories import IMPORT
from helpers.web_app import BASE_URL
from lottocrm.auth import service as auth
from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions import api
from lottocrm.player_events.models import PlayerEvent
from marketing.decisions.helpers import PLACEMENT, banner_world


def test_a_decision_queued_past_its_time_budget_answers_the_default_from_memory(app, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "sqlite":
        pytest.skip("the queue of decisions is SQLite's (PostgreSQL writers do not wait for one another)")
    banner_world(engine)
    with transaction(engine) as session:
        _, key = auth.create_api_key(session, actor=IMPORT, name="website", scopes=["decisions:ask"])
    body = {"placement": PLACEMENT, "device_id": "browser-1"}
    with TestClient(app, base_url=BASE_URL) as client:
        client.post("/api/v1/decisions", json=body, headers={"X-API-Key": key})  # the offers are read
        with transaction(engine) as session:
            stored = session.scalar(select(func.count()).select_from(PlayerEvent))
        # Another decision holds the queue (as a slow one would).
        assert api._SQLITE_DECISIONS.acquire(timeout=5)
        try:
            started = time.monotonic()
            answer = client.post("/api/v1/decisions", json=body, headers={"X-API-Key": key})
            waited = time.monotonic() - started
        finally:
            api._SQLITE_DECISIONS.release()
    assert answer.status_code == 200
    decision = answer.json()
    assert decision["kind"] == "default" and decision["default_because"] == "time_budget"
    assert decision["banner"]["title"] == "Играйте ответственно"
    assert waited < 2.0  # 50 ms of queue, not the 5 s the other decision could take
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(PlayerEvent)) == stored
