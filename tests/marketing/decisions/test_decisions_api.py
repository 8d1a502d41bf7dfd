"""The decision API over HTTP: what a website's key may ask, the answers, and every bad request refused with
its reason and where; and the facts kept in memory forgotten within a second of a consent or
responsible-gaming change, whichever process made it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from helpers.factories import IMPORT
from helpers.web_app import BASE_URL
from lottocrm.auth import service as auth
from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions.state import POLL_EVERY
from lottocrm.player_events.models import PlayerEvent
from lottocrm.players import consents, responsible_gaming
from marketing.decisions.helpers import PLACEMENT, banner_world, web_player


@pytest.fixture(autouse=True)
def roomy_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first decisions of a new app compile their statements, which on a loaded test machine can pass
    50 ms; these tests are about who gets what (the time budget has its own test, with a clock that jumps)."""
    monkeypatch.setenv("LOTTOCRM_DECISION_TIME_BUDGET_MS", "5000")


@pytest.fixture
def keys(app, engine: Engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        _, website = auth.create_api_key(session, actor=IMPORT, name="website", scopes=["decisions:ask"])
        _, events = auth.create_api_key(session, actor=IMPORT, name="events", scopes=["events:send"])
    return {"website": website, "events": events}


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=BASE_URL) as client:
        yield client


def _ask(client: TestClient, key: str, body: Any) -> Any:
    return client.post("/api/v1/decisions", json=body, headers={"X-API-Key": key})


def test_a_website_key_gets_an_offer_then_reports_its_click(
    client, keys, engine: Engine, make_player
) -> None:  # type: ignore[no-untyped-def]
    banner_world(engine)
    with transaction(engine) as session:
        player = web_player(session, make_player)
    answer = _ask(client, keys["website"], {"placement": PLACEMENT, "player_id": player})
    assert answer.status_code == 200, answer.text
    decision = answer.json()
    assert decision["kind"] == "offer" and decision["default_because"] is None
    assert decision["banner"] == {
        "offer": "best",
        "title": "Заголовок best",
        "text": "Купите билет сегодня",
        "image_url": None,
        "link_url": "/games/best",
    }
    click = client.post(
        "/api/v1/decisions/clicks",
        json={"decision_id": decision["decision_id"]},
        headers={"X-API-Key": keys["website"]},
    )
    assert click.status_code == 200 and click.json() == {"recorded": True}
    with transaction(engine) as session:
        kinds = session.execute(select(PlayerEvent.type, PlayerEvent.player_id, PlayerEvent.source)).all()
    assert sorted(kind for kind, _, _ in kinds) == ["banner_click", "banner_impression"]
    assert {who for _, who, _ in kinds} == {player} and all(
        source.startswith("apikey:") for *_, source in kinds
    )


def test_a_self_excluded_player_gets_the_default_banner_over_http(client, keys, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    banner_world(engine)
    # 1002 (Иванова) is the seeded self-excluded player.
    answer = _ask(client, keys["website"], {"placement": PLACEMENT, "player_id": 1002, "device_id": "b-1"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["kind"] == "default" and body["default_because"] == "contact_policy"
    assert body["banner"]["offer"] is None and body["banner"]["title"] == "Играйте ответственно"


@pytest.mark.parametrize(
    ("body", "status", "code", "where"),
    [
        ({"placement": "sidebar", "device_id": "d"}, 404, "unknown_placement", "no placement 'sidebar'"),
        ({"placement": PLACEMENT, "player_id": 999999}, 404, "unknown_player", "send a device_id too"),
        ({"placement": PLACEMENT}, 422, None, "a player_id, a device_id or both"),
        ({"placement": "home top", "device_id": "d"}, 422, None, "placement"),
        ({"placement": PLACEMENT, "device_id": "d", "segment": 1}, 422, None, "segment"),
        ({"placement": PLACEMENT, "player_id": "12", "device_id": "d"}, 422, None, "player_id"),
        ({"placement": PLACEMENT, "device_id": "x" * 129}, 422, None, "device_id"),
        ({"placement": PLACEMENT, "device_id": "d", "channel": "sms"}, 422, None, "channel"),
    ],
)
def test_a_bad_request_is_refused_with_its_reason_and_where(  # type: ignore[no-untyped-def]
    client, keys, engine: Engine, body, status, code, where
) -> None:
    banner_world(engine)
    answer = _ask(client, keys["website"], body)
    assert answer.status_code == status, answer.text
    if code:
        assert answer.json()["code"] == code and where in answer.json()["detail"]
    else:
        assert where in answer.text
    with transaction(engine) as session:
        assert session.scalar(select(PlayerEvent.id)) is None


def test_an_unreadable_body_and_a_wrong_key_are_refused(client, keys, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    banner_world(engine)
    raw = client.post(
        "/api/v1/decisions",
        content=b"{not json",
        headers={"X-API-Key": keys["website"], "Content-Type": "application/json"},
    )
    assert raw.status_code == 422
    assert _ask(client, keys["events"], {"placement": PLACEMENT, "device_id": "d"}).status_code == 403
    assert _ask(client, "lc_nonsense", {"placement": PLACEMENT, "device_id": "d"}).status_code == 401
    unknown = client.post(
        "/api/v1/decisions/clicks", json={"decision_id": "f" * 32}, headers={"X-API-Key": keys["website"]}
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_decision"


def _flips_within(client: TestClient, key: str, player: int, *, seconds: float) -> float:
    """Seconds until the player's decision is the default banner (asked every 50 ms)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        body = _ask(client, key, {"placement": PLACEMENT, "player_id": player}).json()
        if body["kind"] == "default":
            assert body["default_because"] == "contact_policy"
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"player {player} still got an offer {seconds} s after the change")


@pytest.mark.parametrize("change", ["web_consent_withdrawn", "self_excluded"])
def test_the_players_kept_facts_are_forgotten_within_a_second_of_the_change(  # type: ignore[no-untyped-def]
    change: str, client, keys, engine: Engine, make_player
) -> None:
    banner_world(engine, best={"player_daily_cap": 1000}, second={"player_daily_cap": 1000})
    with transaction(engine) as session:
        player = web_player(session, make_player)
    assert (
        _ask(client, keys["website"], {"placement": PLACEMENT, "player_id": player}).json()["kind"] == "offer"
    )
    # The change commits in another transaction (as the contact centre's or a worker's would); no worker runs
    # the subscriber here: the decision process learns of it from the announcement itself.
    with transaction(engine) as session:
        if change == "self_excluded":
            responsible_gaming.change_responsible_gaming(
                session,
                actor=IMPORT,
                player_id=player,
                self_excluded_until=responsible_gaming.clock.operator_day().replace(year=2030),
                monthly_spend_limit_kopecks=None,
                reason="по просьбе игрока",
            )
        else:
            consents.record_consent(
                session,
                actor=IMPORT,
                player_id=player,
                purpose="advertising",
                channel="web",
                granted=False,
                source="website",
                notice_version="2025-01",
                occurred_at=consents.clock.now(),
            )
    assert _flips_within(client, keys["website"], player, seconds=1.0) <= 1.0


def test_the_kept_facts_are_used_between_changes(client, keys, engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    """A write that bypasses the services (no event) is not seen until the facts expire: proof that the
    decisions read the memory, not the store, and that only the events make them forget."""
    banner_world(engine, best={"player_daily_cap": 1000}, second={"player_daily_cap": 1000})
    with transaction(engine) as session:
        player = web_player(session, make_player)
    assert (
        _ask(client, keys["website"], {"placement": PLACEMENT, "player_id": player}).json()["kind"] == "offer"
    )
    with transaction(engine) as session:
        session.execute(
            consents.ConsentEvent.__table__.update()
            .where(consents.ConsentEvent.player_id == player, consents.ConsentEvent.channel == "web")
            .values(granted=False)
        )
        from lottocrm.contact_policy.service import refresh_players

        refresh_players(session.connection(), [player])
    time.sleep(POLL_EVERY * 3)
    assert (
        _ask(client, keys["website"], {"placement": PLACEMENT, "player_id": player}).json()["kind"] == "offer"
    )
