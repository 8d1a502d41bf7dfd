"""Dozens of threads on a few cards, real PostgreSQL: nothing lost, none negative, no double capture."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import Engine, func, select

from lottocrm.db.engine import transaction
from lottocrm.loyalty.errors import LoyaltyError
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold
from lottocrm.loyalty.programme import earning, maintenance, redemption
from loyalty.factories import STAFF, add_card, add_dying_lots, add_partner, member, utcnow

THREADS = 24
OPERATIONS_PER_THREAD = 40


@pytest.mark.slow
def test_random_concurrent_operations_keep_the_ledger_exact(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "row-lock concurrency is PostgreSQL's; SQLite serialises every writer with BEGIN IMMEDIATE"
        )
    shops = [add_partner(engine, "shop_a"), add_partner(engine, "shop_b")]
    cards = [add_card(engine, 5000 + n, points=2_000) for n in range(3)]
    add_dying_lots(engine, cards, points=300, seconds=2)
    holds: list[tuple[int, int]] = []  # (hold id, partner id) of every authorization, shared by all threads
    captured: list[int] = []
    unexpected: list[BaseException] = []
    negative_seen: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def one_operation(rng: random.Random) -> None:
        card, shop = rng.choice(cards), rng.choice(shops)
        action = rng.choices(
            ["earn", "authorize", "capture", "void", "refund", "expire"], [3, 4, 4, 2, 2, 1]
        )[0]
        now = utcnow()
        if action == "expire":
            # The expiry job as it runs: one member per transaction (expiring several members in one
            # transaction, in expiry order, would break the ascending lock order and can deadlock).
            maintenance.run_expiry(engine, actor=STAFF, now=now)
            return
        with transaction(engine) as session:
            if action == "earn":
                earning.earn_at_partner(
                    session,
                    member=member(session, card),
                    partner_id=shop.id,
                    spend_kopecks=rng.randint(1, 50_000),
                    now=now,
                )
            elif action == "authorize":
                result = redemption.authorize(
                    session,
                    member=member(session, card),
                    partner_id=shop.id,
                    points=rng.randint(1, 400),
                    now=now,
                )
                with lock:
                    holds.append((result.hold_id, shop.id))
            elif holds:
                with lock:
                    hold_id, partner_id = rng.choice(holds[-30:])
                if action == "capture":
                    redemption.capture(
                        session, hold_id=hold_id, partner_id=partner_id, now=now, points=rng.choice([None, 1])
                    )
                    with lock:
                        captured.append(hold_id)
                elif action == "void":
                    redemption.void(session, hold_id=hold_id, partner_id=partner_id, now=now)
                else:
                    redemption.refund(
                        session, hold_id=hold_id, partner_id=partner_id, points=rng.randint(1, 50), now=now
                    )

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(OPERATIONS_PER_THREAD):
            try:
                one_operation(rng)
            except LoyaltyError:
                pass  # refusals (insufficient points, hold not open…) are part of the game
            except BaseException as exc:  # noqa: BLE001 - any other failure is the bug we look for
                unexpected.append(exc)

    def watch_balances() -> None:
        while not stop.is_set():
            with transaction(engine) as session:
                lowest = session.execute(select(func.min(LoyaltyAccount.balance))).scalar_one()
            if lowest is not None and lowest < 0:
                negative_seen.append(lowest)

    watcher = threading.Thread(target=watch_balances)
    watcher.start()
    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()

    assert unexpected == [], unexpected[:3]
    assert negative_seen == []
    assert len(captured) == len(set(captured)), "a hold was captured twice"
    with transaction(engine) as session:
        assert session.execute(
            select(func.count()).select_from(LoyaltyHold).where(LoyaltyHold.status == "captured")
        ).scalar_one() == len(captured)
    report = verify(engine)
    assert report.clean, report.problems
    assert len(holds) > 50 and len(captured) > 20  # the run really exercised contention
