"""A campaign's SMS from the gate to the receipts: the whole dispatcher against the raw SMPP client.

Loads N players (contactable_bench's loader: consents, a phone each, some blocked, excluded or withdrawn, a
cap ledger) into a scratch database, queues one marketing SMS for each through the gate in bulk
(``contact_policy.audience.issue_permits`` → ``messaging.service.queue_messages``, timed), then lets the
dispatcher send them — claim, recheck against the contactability rows, atomic cap reservation and the rows'
refresh, SMPP ``submit_sm`` to the local SMSC (in a child process, a core of its own), every delivery
receipt applied to the outbox — and stops the clock when the last receipt is applied. The raw engine, in
the same run: the bare ``smpp34`` client submitting as many messages and collecting their receipts.

The clock is frozen on a Wednesday noon in Moscow (inside the sending hours) for the whole run.

    .venv/bin/python bench/dispatch_bench.py --players 700000
    .venv/bin/python bench/dispatch_bench.py --players 100000 --skip-sqlite \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import time
from collections import Counter

from contactable_bench import load
from scratch_db import on_each_dialect
from sms_bench import PASSWORD, SYSTEM_ID, TEXT, _serve_smsc, raw_run
from sqlalchemy import Engine, func, select

from lottocrm import clock
from lottocrm.contact_policy.audience import issue_permits
from lottocrm.db.engine import transaction
from lottocrm.messaging.channels.sms.settings import SmppSettings
from lottocrm.messaging.channels.sms.transport import SmppTransport
from lottocrm.messaging.models import Message
from lottocrm.messaging.sender import Sender
from lottocrm.messaging.service import Content, Outgoing, queue_messages
from lottocrm.players.models import Player

NOON = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)
QUEUE_CHUNK = 5_000


def queue_campaign(engine: Engine) -> tuple[int, float]:
    started = time.perf_counter()
    queued = 0
    with transaction(engine) as session:
        ids = list(session.scalars(select(Player.id).order_by(Player.id)))
    for first in range(0, len(ids), QUEUE_CHUNK):
        with transaction(engine) as session:
            permits = issue_permits(
                session,
                player_ids=ids[first : first + QUEUE_CHUNK],
                channel="sms",
                message_class="marketing",
                source_kind="campaign",
                source_id="bench",
            )
            items = [Outgoing(permit=p, content=Content(body=TEXT.format(n=p.player_id))) for p in permits]
            queued += len([m for m in queue_messages(session, items) if m is not None])
    return queued, time.perf_counter() - started


def _statuses(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        return dict(session.execute(select(Message.status, func.count()).group_by(Message.status)).all())


async def dispatch_all(engine: Engine, port: int, *, window: int) -> float:
    settings = SmppSettings(host="127.0.0.1", port=port, system_id=SYSTEM_ID, password=PASSWORD,
                            source_addr="LOTTO", window=window)  # fmt: skip
    started = time.perf_counter()
    async with Sender(engine, {"sms": SmppTransport(settings=settings)}) as sender:
        await sender.drain(limit=500)
        # The receipts arrive on the bind after the last submission: wait until every one is applied, or
        # until none has come for 30 s (the local SMSC gives a receipt up when no bind takes it for a while;
        # the outcome column then shows messages still "sent").
        waiting, last_change = _statuses(engine).get("sent", 0), time.monotonic()
        while waiting and time.monotonic() - last_change < 30:
            await sender.settled()
            await asyncio.sleep(0.05)
            now_waiting = _statuses(engine).get("sent", 0)
            if now_waiting != waiting:
                waiting, last_change = now_waiting, time.monotonic()
        await sender.settled()
    return time.perf_counter() - started


def measure(engine: Engine, label: str, players: int, window: int) -> None:
    loaded, rebuilt = load(engine, players)
    parent, child = multiprocessing.Pipe()
    smsc = multiprocessing.Process(target=_serve_smsc, args=(child,), daemon=True)
    smsc.start()
    port = parent.recv()
    try:
        with clock.frozen(NOON):
            queued, queue_seconds = queue_campaign(engine)
            load_before = os.getloadavg()[0]
            # The raw client first, on a fresh SMSC (as sms_bench runs it), then the dispatcher.
            raw = asyncio.run(
                asyncio.wait_for(raw_run(port, messages=queued, window=window, offset=30_000_000), 900)
            )
            dispatch_seconds = asyncio.run(dispatch_all(engine, port, window=window))
    finally:
        parent.send("stop")
        parent.recv()
        smsc.join(timeout=10)
    statuses = _statuses(engine)
    with transaction(engine) as session:
        errors = Counter(
            error[:60]
            for error in session.scalars(select(Message.last_error).where(Message.last_error.is_not(None)))
        ).most_common(5)
    for error, count in errors:
        print(f"<!-- {count:,} messages last refused with: {error} -->")
    rate = queued / dispatch_seconds
    print(
        f"| {label} | {players:,} | {queued:,} | {queue_seconds:.1f} s ({queued / queue_seconds:,.0f}/s) "
        f"| {dispatch_seconds:.1f} s | {rate:,.0f} msg/s | {raw.rate:,.0f} msg/s | {raw.rate / rate:.1f}× "
        f"| {statuses.get('delivered', 0):,} delivered, {statuses.get('sent', 0):,} without a receipt, "
        f"{statuses.get('queued', 0):,} to retry, {statuses.get('cancelled', 0):,} stopped at dispatch "
        f"| {load_before:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    print(
        "| dialect | players | queued | queue through the gate | dispatch, last receipt applied "
        "| dispatcher | raw smpp34 client | raw ÷ dispatcher | outcome | load before |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    on_each_dialect(
        args.postgres,
        lambda engine, label: measure(engine, label, args.players, args.window),
        skip_sqlite=args.skip_sqlite,
    )


if __name__ == "__main__":
    main()
