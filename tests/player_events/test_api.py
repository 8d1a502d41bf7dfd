"""The events API over a real database (SQLite and, with LOTTOCRM_TEST_DATABASE_URL, PostgreSQL): what is
stored, what is a duplicate, what is refused and kept as a dead letter, and what is refused whole."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from helpers.factories import IMPORT
from helpers.web_app import BASE_URL
from lottocrm.auth import service as auth
from lottocrm.db.engine import transaction
from lottocrm.events.delivery import worker_registry
from lottocrm.events.outbox import emit
from lottocrm.jobs.worker import Worker
from lottocrm.player_events.models import DeadLetter, PlayerEvent
from lottocrm.players.events import PlayersRegistered
from lottocrm.players.models import Player

KNOWN, STRANGER = 1001, 987654


def _at(minutes_ago: int = 1) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)).isoformat()


def _event(event_id: str, kind: str, properties: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": kind,
        "channel": "website",
        "occurred_at": _at(),
        "player_id": KNOWN,
        "properties": properties,
    } | envelope


@pytest.fixture
def keys(app, engine: Engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        _, website = auth.create_api_key(session, actor=IMPORT, name="website", scopes=["events:send"])
        _, reader = auth.create_api_key(session, actor=IMPORT, name="reader", scopes=["players:search"])
    return {"website": website, "reader": reader}


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=BASE_URL) as client:
        yield client


def make_player_row(player_id: int) -> Player:
    at = dt.datetime.now(dt.UTC)
    return Player(
        id=player_id,
        last_name="Новиков",
        first_name="Олег",
        search_name="новиков олег",
        registered_at=at,
        registration_channel="website",
        created_at=at,
    )


def _send(client: TestClient, key: str, events: Any) -> Any:
    return client.post("/api/v1/events", json={"events": events}, headers={"X-API-Key": key})


def _stored(engine: Engine) -> list[PlayerEvent]:
    with transaction(engine) as session:
        return list(session.scalars(select(PlayerEvent).order_by(PlayerEvent.id)))


def _letters(engine: Engine) -> list[DeadLetter]:
    with transaction(engine) as session:
        return list(session.scalars(select(DeadLetter).order_by(DeadLetter.id)))


def test_a_batch_is_answered_event_by_event(client: TestClient, keys: dict[str, str], engine: Engine) -> None:
    batch = [
        _event("d-1", "deposit", {"amount_kopecks": 100000, "method": "card"}),
        _event("t-1", "ticket_purchase", {"game": "rusloto", "ticket_id": "T-77", "amount_kopecks": 10000}),
        _event("d-1", "deposit", {"amount_kopecks": 100000}),  # the same id again in the same batch
        _event("p-1", "page_view", {"url": "/draws"}, player_id=None, device_id="dev-9"),
        _event("r-1", "registration", {"method": "phone"}, player_id=STRANGER, device_id="dev-9"),
        _event("d-2", "deposit", {"amount_kopecks": 500}, player_id=STRANGER),
        _event("t-2", "ticket_purchase", {"game": "keno", "ticket_id": "T-78", "amount_kopecks": 100}),
        _event("x-1", "jackpot_seen", {}),
        "not an event",
    ]
    answer = _send(client, keys["website"], batch)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accepted"] == 4 and body["duplicates"] == ["d-1"]
    refused = {(r["position"], r["id"], r["reason"], r["field"]) for r in body["refused"]}
    assert refused == {
        (5, "d-2", "unknown_player", "player_id"),
        (6, "t-2", "unknown_game", "properties.game"),
        (7, "x-1", "unknown_type", "type"),
        (8, None, "not_an_object", ""),
    }
    stored = {row.event_id: row for row in _stored(engine)}
    assert set(stored) == {"d-1", "t-1", "p-1", "r-1"}
    assert stored["d-1"].player_id == KNOWN and stored["d-1"].properties == {
        "amount_kopecks": 100000,
        "method": "card",
    }
    # A registration the store does not know yet is kept, anonymous, with the account id it claimed.
    assert (stored["r-1"].player_id, stored["r-1"].claimed_player_id, stored["r-1"].device_id) == (
        None,
        STRANGER,
        "dev-9",
    )
    assert stored["p-1"].player_id is None and stored["p-1"].source.startswith("apikey:")
    letters = _letters(engine)
    assert [(letter.position, letter.reason) for letter in letters] == [
        (5, "unknown_player"),
        (6, "unknown_game"),
        (7, "unknown_type"),
        (8, "not_an_object"),
    ]
    assert letters[0].body == batch[5] and letters[3].body == "not an event"


def test_sending_a_batch_again_stores_nothing_twice(
    client: TestClient, keys: dict[str, str], engine: Engine
) -> None:
    batch = [_event(f"s-{n}", "sign_in", {"method": "password"}) for n in range(3)]
    first = _send(client, keys["website"], batch).json()
    again = _send(client, keys["website"], batch + [_event("s-3", "sign_in", {})]).json()
    assert first == {"accepted": 3, "duplicates": [], "refused": []}
    assert again == {"accepted": 1, "duplicates": ["s-0", "s-1", "s-2"], "refused": []}
    assert len(_stored(engine)) == 4


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        pytest.param({"events": []}, 422, "at least 1", id="empty"),
        pytest.param({"event": [1]}, 422, "events", id="no-events-list"),
        pytest.param({"events": {"id": "a"}}, 422, "valid list", id="events-not-a-list"),
        pytest.param({"events": [{"id": str(n)} for n in range(1001)]}, 422, "at most 1000", id="too-many"),
    ],
)
def test_what_is_not_a_batch_is_refused_whole(  # type: ignore[no-untyped-def]
    client: TestClient, keys: dict[str, str], engine: Engine, body, status, says
) -> None:
    answer = client.post("/api/v1/events", json=body, headers={"X-API-Key": keys["website"]})
    assert answer.status_code == status and says in answer.text
    assert _stored(engine) == [] and _letters(engine) == []


def test_a_body_over_four_mebibytes_is_refused_unread(
    client: TestClient, keys: dict[str, str], engine: Engine
) -> None:
    big = [_event(f"b-{n}", "page_view", {"url": "/" + "x" * 1990, "title": "y" * 500}) for n in range(1000)]
    big += [_event("last", "page_view", {"url": "/"})]
    payload = json.dumps({"events": big[:1000]}).encode() + b" " * (4 * 1024 * 1024)
    answer = client.post(
        "/api/v1/events",
        content=payload,
        headers={"X-API-Key": keys["website"], "Content-Type": "application/json"},
    )
    assert answer.status_code == 413 and answer.json()["code"] == "batch_too_large"
    assert _stored(engine) == []


def test_only_a_key_scoped_to_events_may_send(
    client: TestClient,
    keys: dict[str, str],
    client_for,
    engine: Engine,  # type: ignore[no-untyped-def]
) -> None:
    batch = [_event("a-1", "sign_in", {})]
    assert client.post("/api/v1/events", json={"events": batch}).status_code == 401
    assert _send(client, keys["reader"], batch).status_code == 403
    admin = client_for("admin")
    assert admin.post("/api/v1/events", json={"events": batch}).status_code == 403
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(PlayerEvent)) == 0


def test_a_registration_sent_before_the_account_is_linked_when_the_player_arrives(
    client: TestClient, keys: dict[str, str], engine: Engine
) -> None:
    batch = [_event("early", "registration", {"method": "phone"}, player_id=STRANGER, device_id="dev-1")]
    assert _send(client, keys["website"], batch).json()["accepted"] == 1
    with transaction(engine) as session:
        arrived = make_player_row(STRANGER)
        session.add(arrived)
        session.flush()
        # What an import of the players file announces once the batch is in.
        emit(
            session,
            PlayersRegistered(batch_id="b-1", count=1, first_player_id=STRANGER, last_player_id=STRANGER),
        )
    Worker(engine, worker_registry(), poll_interval=0.02, lease=dt.timedelta(seconds=5)).run(once=True)
    [event] = _stored(engine)
    assert (event.player_id, event.claimed_player_id) == (STRANGER, None)
