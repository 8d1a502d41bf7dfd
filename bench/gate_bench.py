"""The contact policy's per-message costs, per dialect: ``decide`` for one player (banners, operators,
dialers ask it one at a time) and ``ledger.reserve`` (the cap check with its atomic place, per message of a
dispatcher's batch, with the refresh of the touched players' contactability rows), each against the raw
engine in the same run.

Players come from contactable_bench's loader (consents, a phone each, some excluded, a cap ledger). Raw
engine: for ``decide``, one primary-key read of the player's row through the same session; for
``reserve``, the bare INSERT of the same number of touch rows.

    .venv/bin/python bench/gate_bench.py --players 100000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from contactable_bench import load
from scratch_db import on_each_dialect
from sqlalchemy import Engine, insert

from lottocrm import clock
from lottocrm.contact_policy import ledger, service, tracking
from lottocrm.contact_policy.models import ContactTouch
from lottocrm.db.engine import transaction
from lottocrm.players.models import Player

# A Wednesday noon in Moscow: inside every sending window.
AT = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def measure(engine: Engine, label: str, players: int, calls: int, batches: int) -> None:
    load(engine, players)
    with clock.frozen(AT):
        _measure_loaded(engine, label, players, calls, batches)


def _measure_loaded(engine: Engine, label: str, players: int, calls: int, batches: int) -> None:
    rng = random.Random(7)
    ids = [rng.randint(1, players) for _ in range(calls)]
    decide_times, raw_times, permits = [], [], []
    with transaction(engine) as session:
        for player_id in ids:
            started = time.perf_counter()
            decision = service.decide(
                session, player_id=player_id, channel="sms", message_class="marketing", at=AT
            )
            decide_times.append(time.perf_counter() - started)
            if decision.permit is not None:
                permits.append(decision.permit)
            session.expunge_all()
            started = time.perf_counter()
            session.get(Player, player_id)
            raw_times.append(time.perf_counter() - started)
            session.expunge_all()
    reserve_seconds = insert_seconds = 0.0
    per_batch = 500
    for batch in range(min(batches, -(-len(permits) // per_batch))):
        chosen = [
            (permit, 1_000_000 * (batch + 1) + n)
            for n, permit in enumerate(permits[batch * per_batch :][:per_batch])
        ]
        with transaction(engine) as session:
            started = time.perf_counter()
            ledger.reserve(session, permits=chosen, at=AT + dt.timedelta(days=batch))
            # Anything the commit would still refresh (the reservation moves the rows' cap columns itself).
            tracking.settle(session)
            reserve_seconds += time.perf_counter() - started
            session.rollback()
        rows = [
            {
                "player_id": p.player_id,
                "channel": "sms",
                "contact_point": p.contact_point,
                "at": AT,
                "message_id": m,
            }
            for p, m in chosen
        ]
        with transaction(engine) as session:
            started = time.perf_counter()
            session.execute(insert(ContactTouch), rows)
            insert_seconds += time.perf_counter() - started
            session.rollback()
    messages = min(batches * per_batch, len(permits))
    decide_p50, decide_p99 = _percentiles(decide_times)
    raw_p50, raw_p99 = _percentiles(raw_times)
    cells = [
        label,
        f"{players:,}",
        f"{calls:,}",
        f"{decide_p50:.2f} / {decide_p99:.2f}",
        f"{raw_p50:.3f} / {raw_p99:.3f}",
        f"{decide_p50 / raw_p50:.0f}×",
        f"{reserve_seconds / messages * 1000:.3f}",
        f"{insert_seconds / messages * 1000:.3f}",
        f"{reserve_seconds / insert_seconds:.1f}×",
    ]
    print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--batches", type=int, default=2, help="reserve batches of 500 messages")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    print(
        "| dialect | players | decide calls | decide p50 / p99 ms | raw PK read p50 / p99 ms "
        "| decide ÷ raw (p50) | reserve ms/message | raw INSERT ms/row | reserve ÷ raw |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    on_each_dialect(
        args.postgres, lambda engine, label: measure(engine, label, args.players, args.calls, args.batches)
    )


if __name__ == "__main__":
    main()
