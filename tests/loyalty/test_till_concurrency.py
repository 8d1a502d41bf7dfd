"""The till API under concurrent tills, real PostgreSQL: the server-side redemption functions racing each
other, the Python services (earn, the stale-hold job, expiry) and retries of the same key."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold, LoyaltyOperation
from lottocrm.loyalty.programme import maintenance, redemption
from loyalty.factories import STAFF, TillPartner, add_card, add_dying_lots, add_partner, utcnow

THREADS = 12
CALLS_PER_THREAD = 40


@pytest.mark.slow
def test_concurrent_till_calls_keep_the_ledger_exact(client: TestClient, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row-lock concurrency is PostgreSQL's; SQLite serialises every writer")
    shops = [add_partner(engine, "shop_a"), add_partner(engine, "shop_b")]
    cards = [add_card(engine, 8000 + n, points=3_000) for n in range(3)]
    add_dying_lots(engine, cards, points=300, seconds=2)
    holds: list[tuple[int, TillPartner]] = []
    answers: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def post(shop: TillPartner, path: str, body: dict, key: str) -> tuple[int, dict]:
        response = client.post(
            f"/api/v1/loyalty{path}",
            json=body,
            headers={"X-Api-Key": shop.key, "Idempotency-Key": key},
        )
        with lock:
            answers.append((path.rsplit("/", 1)[-1], response.status_code, response.text[:200]))
        return response.status_code, response.json()

    def one_call(rng: random.Random) -> None:
        card, shop = rng.choice(cards), rng.choice(shops)
        action = rng.choices(["earn", "authorize", "capture", "void", "refund", "job"], [2, 4, 4, 2, 2, 1])[0]
        key = uuid.uuid4().hex
        if action == "earn":
            post(
                shop,
                "/till/earn",
                {"card_number": card.number, "purchase_kopecks": rng.randint(1, 50_000)},
                key,
            )
        elif action == "authorize":
            status, body = post(
                shop, "/till/authorize", {"card_number": card.number, "points": rng.randint(1, 400)}, key
            )
            if status == 200:
                with lock:
                    holds.append((body["hold_id"], shop))
        elif action == "job":
            now = utcnow()
            # The expiry job as it runs: one member per transaction, so the ascending lock order holds.
            maintenance.run_expiry(engine, actor=STAFF, now=now)
            # The stale-hold job, as if every hold were stale: it races the tills' captures for real.
            with lock:
                hold_id = rng.choice(holds)[0] if holds else None
            if hold_id is not None:
                with transaction(engine) as session:
                    redemption.void_stale_hold(session, hold_id=hold_id, now=now + dt.timedelta(hours=1))
        elif holds:
            with lock:
                hold_id, owner = rng.choice(holds[-30:])
            path, body = {
                "capture": (f"/till/holds/{hold_id}/capture", rng.choice([{}, {"points": 1}])),
                "void": (f"/till/holds/{hold_id}/void", {}),
                "refund": (f"/till/holds/{hold_id}/refund", {"points": rng.randint(1, 50)}),
            }[action]
            if rng.random() < 0.3:
                # The same call twice at once under one key (a till retrying too early): one effect.
                twin = threading.Thread(target=post, args=(owner, path, body, key))
                twin.start()
                post(owner, path, body, key)
                twin.join()
            else:
                post(owner, path, body, key)

    unexpected: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(CALLS_PER_THREAD):
            try:
                one_call(rng)
            except BaseException as exc:  # noqa: BLE001 - any failure is the bug we look for
                unexpected.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == [], unexpected[:3]
    assert [answer for answer in answers if answer[1] >= 500] == []
    # Refusals are business answers (not open, insufficient…), never a malformed or unknown call.
    assert {status for _path, status, _text in answers} <= {200, 403, 409, 422}
    with transaction(engine) as session:
        assert session.execute(select(func.min(LoyaltyAccount.balance))).scalar_one() >= 0
        per_hold = session.execute(
            select(LoyaltyOperation.hold_id, LoyaltyOperation.kind, func.count())
            .where(LoyaltyOperation.kind.in_(["capture", "void"]))
            .group_by(LoyaltyOperation.hold_id, LoyaltyOperation.kind)
        ).all()
        statuses = dict(session.execute(select(LoyaltyHold.id, LoyaltyHold.status)).all())
    assert all(times == 1 for _hold, _kind, times in per_hold), "a hold was settled twice"
    closing = {hold: kind for hold, kind, _times in per_hold}
    assert len(closing) == len(per_hold), "a hold was both captured and voided"
    assert closing == {
        hold: {"captured": "capture", "voided": "void"}[status]
        for hold, status in statuses.items()
        if status != "authorized"
    }
    report = verify(engine)
    assert report.clean, report.problems
    assert len(holds) > 40 and sum(status == 200 for _p, status, _t in answers) > 150


def _waiting_on_locks(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        ).scalar_one()


def test_two_captures_with_one_key_at_once_give_one_capture_and_the_same_answer(
    client: TestClient, engine: Engine
) -> None:
    """Both calls find the key unused and queue on the member's lock. The one served second sees the hold
    captured, and its answer collides with the first's under the key: it must come back as the first's
    answer, replayed, having written nothing — not as a stored refusal, and not as a second capture."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row-lock concurrency is PostgreSQL's; SQLite serialises every writer")
    shop, card = add_partner(engine, "shop_a"), add_card(engine, 8100, points=500)
    headers = {"X-Api-Key": shop.key}
    held = client.post(
        "/api/v1/loyalty/till/authorize",
        json={"card_number": card.number, "points": 120},
        headers={**headers, "Idempotency-Key": "receipt-1"},
    ).json()
    answers: list = []

    def capture() -> None:
        answers.append(
            client.post(
                f"/api/v1/loyalty/till/holds/{held['hold_id']}/capture",
                json={},
                headers={**headers, "Idempotency-Key": "capture-1"},
            )
        )

    with engine.connect() as blocker:
        blocker.execute(
            text("SELECT 1 FROM loyalty_accounts WHERE id = :id FOR UPDATE"), {"id": card.account_id}
        )
        twins = [threading.Thread(target=capture) for _ in range(2)]
        for twin in twins:
            twin.start()
        deadline = time.monotonic() + 20
        while _waiting_on_locks(engine) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_on_locks(engine) == 2, "both captures should be queued on the member's lock"
        blocker.rollback()
    for twin in twins:
        twin.join()

    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    assert sorted(answer.headers.get("Idempotent-Replayed", "") for answer in answers) == ["", "true"]
    with transaction(engine) as session:
        captures = session.execute(
            select(func.count()).where(
                LoyaltyOperation.kind == "capture", LoyaltyOperation.hold_id == held["hold_id"]
            )
        ).scalar_one()
    assert captures == 1
    report = verify(engine)
    assert report.clean, report.problems
