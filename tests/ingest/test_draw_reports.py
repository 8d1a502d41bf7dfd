"""The gaming system's reports on draws, over the API on both dialects: results and jackpots applied once,
announced once, audited; each bad report refused with its reason and nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from helpers.domain_events import emitted
from helpers.factories import IMPORT
from helpers.web_app import BASE_URL
from lottocrm.audit.models import AuditEvent
from lottocrm.auth import service as auth
from lottocrm.catalog.models import Draw
from lottocrm.db.engine import transaction
from lottocrm.events.catalog import read_payload
from lottocrm.ingest.events import DrawResultsPublished, JackpotChanged

PAST, COMING, CANCELLED = 71, 72, 73


@pytest.fixture
def gaming(app, engine: Engine, listening) -> TestClient:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        session.add_all(
            [
                Draw(
                    id=PAST,
                    game_id=1,
                    number=1500,
                    draw_at=now - dt.timedelta(hours=1),
                    jackpot_kopecks=10**9,
                ),
                Draw(
                    id=COMING,
                    game_id=1,
                    number=1501,
                    draw_at=now + dt.timedelta(days=7),
                    jackpot_kopecks=10**9,
                ),
                Draw(
                    id=CANCELLED,
                    game_id=1,
                    number=1499,
                    draw_at=now - dt.timedelta(days=7),
                    status="cancelled",
                ),
            ]
        )
        _, secret = auth.create_api_key(session, actor=IMPORT, name="gaming system", scopes=["draws:publish"])
    with TestClient(app, base_url=BASE_URL, headers={"X-API-Key": secret}) as client:
        yield client


def _announced(engine: Engine):  # type: ignore[no-untyped-def]
    return [read_payload(event) for event in emitted(engine)]


def test_results_are_published_once_and_announced_once(gaming: TestClient, engine: Engine) -> None:
    body = {"numbers": [5, 17, 33, 41, 60], "jackpot_won": False}
    first = gaming.post(f"/api/v1/draws/{PAST}/results", json=body)
    again = gaming.post(f"/api/v1/draws/{PAST}/results", json=body)
    assert first.status_code == 200 and first.json()["changed"] is True and first.json()["status"] == "drawn"
    assert again.status_code == 200 and again.json()["changed"] is False
    announced = _announced(engine)
    assert len(announced) == 1 and isinstance(announced[0], DrawResultsPublished)
    assert (announced[0].draw_id, announced[0].game_code, announced[0].number) == (PAST, "rusloto", 1500)
    other = gaming.post(f"/api/v1/draws/{PAST}/results", json={"numbers": [1, 2, 3], "jackpot_won": True})
    assert other.status_code == 409 and other.json()["code"] == "draw_state_conflict"
    with transaction(engine) as session:
        assert session.get(Draw, PAST).results == body
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("ingest.%"))).all()
        assert actions == ["ingest.draw_results"]


def test_a_jackpot_rise_is_announced_per_amount(gaming: TestClient, engine: Engine) -> None:
    for amount in (2 * 10**9, 2 * 10**9, 3 * 10**9):
        assert (
            gaming.put(f"/api/v1/draws/{COMING}/jackpot", json={"jackpot_kopecks": amount}).status_code == 200
        )
    announced = _announced(engine)
    assert [(e.previous_kopecks, e.jackpot_kopecks) for e in announced if isinstance(e, JackpotChanged)] == [
        (10**9, 2 * 10**9),
        (2 * 10**9, 3 * 10**9),
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        pytest.param(
            "post",
            "/api/v1/draws/999/results",
            {"numbers": [1], "jackpot_won": False},
            404,
            "draw_not_found",
            id="unknown-draw",
        ),
        pytest.param(
            "post",
            f"/api/v1/draws/{COMING}/results",
            {"numbers": [1], "jackpot_won": False},
            409,
            "draw_state_conflict",
            id="results-before-the-draw",
        ),
        pytest.param(
            "post",
            f"/api/v1/draws/{CANCELLED}/results",
            {"numbers": [1], "jackpot_won": False},
            409,
            "draw_state_conflict",
            id="cancelled",
        ),
        pytest.param(
            "post",
            f"/api/v1/draws/{PAST}/results",
            {"numbers": [], "jackpot_won": False},
            400,
            "invalid_draw_report",
            id="no-numbers",
        ),
        pytest.param(
            "post",
            f"/api/v1/draws/{PAST}/results",
            {"numbers": ["5"], "jackpot_won": False},
            422,
            None,
            id="number-as-text",
        ),
        pytest.param(
            "put",
            f"/api/v1/draws/{PAST}/jackpot",
            {"jackpot_kopecks": 10**10},
            409,
            "draw_state_conflict",
            id="jackpot-of-a-past-draw",
        ),
        pytest.param(
            "put",
            f"/api/v1/draws/{COMING}/jackpot",
            {"jackpot_kopecks": -1},
            400,
            "invalid_draw_report",
            id="negative-jackpot",
        ),
        pytest.param(
            "put",
            f"/api/v1/draws/{COMING}/jackpot",
            {"jackpot_kopecks": 10**14},
            400,
            "invalid_draw_report",
            id="jackpot-in-wrong-units",
        ),
    ],
)
def test_a_bad_report_is_refused_and_changes_nothing(  # type: ignore[no-untyped-def]
    gaming: TestClient, engine: Engine, method, path, body, status, code
) -> None:
    answer = getattr(gaming, method)(path, json=body)
    assert answer.status_code == status, answer.text
    if code:
        assert answer.json()["code"] == code
    with transaction(engine) as session:
        draws = {d.id: (d.status, d.results, d.jackpot_kopecks) for d in session.scalars(select(Draw))}
    assert draws[PAST] == ("scheduled", None, 10**9) and draws[COMING] == ("scheduled", None, 10**9)
    assert _announced(engine) == []


def test_only_a_key_scoped_to_draws_may_report(app, engine: Engine, client_for) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=BASE_URL) as anonymous:
        assert anonymous.put("/api/v1/draws/1/jackpot", json={"jackpot_kopecks": 1}).status_code == 401
    assert client_for("admin").put("/api/v1/draws/1/jackpot", json={"jackpot_kopecks": 1}).status_code == 403
