"""Against a real server process: retries after client timeouts, and kill -9 in the middle of till load."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest
from sqlalchemy import Engine, func, select

from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold, LoyaltyOperation
from loyalty.factories import Card, TillPartner, add_card, add_partner
from loyalty.live_server import LiveServer


def _post(
    server: LiveServer,
    partner: TillPartner,
    path: str,
    body: dict,
    key: str,
    timeout: httpx.Timeout | float = 10.0,
) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/loyalty{path}",
        json=body,
        timeout=timeout,
        headers={"X-Api-Key": partner.key, "Idempotency-Key": key},
    )


def _retry_after_timeout(
    server: LiveServer, partner: TillPartner, path: str, body: dict, engine: Engine, card: Card
) -> httpx.Response:
    """Send once and give up waiting for the answer, retry with the same key.

    The member's account is held locked meanwhile, so the first attempt is still running when the client
    gives up however fast the server is; the lock is released before the retry.
    """
    key = uuid.uuid4().hex
    with engine.connect() as blocker:
        blocker.execute(
            select(LoyaltyAccount.id).where(LoyaltyAccount.id == card.account_id).with_for_update()
        )
        with pytest.raises(httpx.ReadTimeout):
            _post(server, partner, path, body, key, timeout=httpx.Timeout(10.0, read=0.3))
        blocker.commit()
    return _post(server, partner, path, body, key)


@pytest.mark.slow
def test_every_call_retried_after_a_timeout_has_exactly_one_effect(
    server: LiveServer, engine: Engine
) -> None:
    shop = add_partner(engine, "shop")
    card = add_card(engine, 7001, points=1_000)

    def retried(path: str, body: dict) -> httpx.Response:
        return _retry_after_timeout(server, shop, path, body, engine, card)

    earned = retried("/till/earn", {"card_number": card.number, "purchase_kopecks": 1_000_000})
    hold = retried("/till/authorize", {"card_number": card.number, "points": 300}).json()
    captured = retried(f"/till/holds/{hold['hold_id']}/capture", {"points": 200})
    refunded = retried(f"/till/holds/{hold['hold_id']}/refund", {"points": 50})
    second = retried("/till/authorize", {"card_number": card.number, "points": 10}).json()
    voided = retried(f"/till/holds/{second['hold_id']}/void", {})
    answers = (earned, captured, refunded, voided)
    assert all(response.status_code == 200 for response in answers)
    # Each retry came while the first attempt held its key: it waited for it and replayed its answer.
    assert all(response.headers.get("Idempotent-Replayed") == "true" for response in answers)
    assert refunded.json()["balance"] == 1_000 + 100 - 200 + 50
    with transaction(engine) as session:
        kinds = sorted(
            session.execute(select(LoyaltyOperation.kind).where(LoyaltyOperation.kind != "adjust")).scalars()
        )
    assert kinds == ["authorize", "authorize", "capture", "earn", "refund", "void"]
    assert verify(engine).clean


@pytest.mark.slow
def test_kill_9_mid_load_loses_no_acknowledged_call(server: LiveServer, engine: Engine) -> None:
    shop = add_partner(engine, "shop")
    cards: list[Card] = [add_card(engine, 8000 + n, points=100_000) for n in range(8)]
    acknowledged_captures: list[int] = []
    acknowledged_earns: list[int] = []
    unanswered: list[tuple[str, dict, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def till(card: Card) -> None:
        with httpx.Client(
            base_url=f"{server.url}/api/v1/loyalty", timeout=5, headers={"X-Api-Key": shop.key}
        ) as client:
            while not stop.is_set():
                calls = [("/till/earn", {"card_number": card.number, "purchase_kopecks": 5_000})]
                for path, body in calls + [("/till/authorize", {"card_number": card.number, "points": 7})]:
                    key = uuid.uuid4().hex
                    try:
                        response = client.post(path, json=body, headers={"Idempotency-Key": key})
                    except httpx.HTTPError:
                        with lock:
                            unanswered.append((path, body, key))
                        return
                    assert response.status_code == 200, response.text
                    if path == "/till/earn":
                        with lock:
                            acknowledged_earns.append(response.json()["operation_id"])
                    else:
                        hold_id = response.json()["hold_id"]
                        capture = f"/till/holds/{hold_id}/capture"
                        key = uuid.uuid4().hex
                        try:
                            response = client.post(capture, json={}, headers={"Idempotency-Key": key})
                        except httpx.HTTPError:
                            with lock:
                                unanswered.append((capture, {}, key))
                            return
                        assert response.status_code == 200, response.text
                        with lock:
                            acknowledged_captures.append(hold_id)

    threads = [threading.Thread(target=till, args=(card,)) for card in cards]
    for thread in threads:
        thread.start()
    deadline_reached = threading.Event()
    while len(acknowledged_captures) < 150 and not deadline_reached.wait(0.05):
        pass
    server.kill()
    for thread in threads:
        thread.join(timeout=30)
    stop.set()

    server.start()
    assert verify(engine).clean, verify(engine).problems
    with transaction(engine) as session:
        earned = set(
            session.execute(select(LoyaltyOperation.id).where(LoyaltyOperation.kind == "earn")).scalars()
        )
        captured = set(
            session.execute(select(LoyaltyHold.id).where(LoyaltyHold.status == "captured")).scalars()
        )
    assert set(acknowledged_earns) <= earned
    assert set(acknowledged_captures) <= captured
    assert len(acknowledged_captures) >= 150
    # The calls cut off by the kill are retried with their keys: each takes effect exactly once.
    for path, body, key in unanswered:
        first = _post(server, shop, path, body, key)
        again = _post(server, shop, path, body, key)
        assert first.status_code == again.status_code == 200 and first.json() == again.json()
    with transaction(engine) as session:
        captures = session.execute(
            select(func.count()).select_from(LoyaltyOperation).where(LoyaltyOperation.kind == "capture")
        ).scalar_one()
        holds_captured = session.execute(
            select(func.count()).select_from(LoyaltyHold).where(LoyaltyHold.status == "captured")
        ).scalar_one()
    assert captures == holds_captured
    assert verify(engine).clean
