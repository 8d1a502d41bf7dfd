"""Trigger → message queued, sustained (issue #15: p95 ≤ 5 s, p99 ≤ 30 s at 100 triggers/s for 10 minutes on
2 cores).

Per dialect: a fresh database with ``--players`` players loaded as ``contactable_bench`` loads them (consents,
phones, some exclusions and blocked accounts), three games, a published service template and a live journey
"ticket purchase → send (SMS) → exit" kept per ticket, so every event starts its own instance. Then, as in
production: ``lottocrm serve`` (uvicorn, one worker) takes the app's events on ``POST /api/v1/events``, and a
``lottocrm worker`` process runs the journeys' trigger reader on each stored batch. A client posts
``--rate`` ticket purchases a second (a batch every 100 ms) for ``--seconds``; a watcher polls the store every
100 ms for the journey's send-step visits, which commit with the message they queue (or the contact policy's
refusal). A trigger's latency is from its batch's post to the moment its visit was seen committed, so it
includes the API, the event's delivery to the worker, the reader and the commit (plus ≤ 0.1 s of polling).

Raw engine in the same run: an event row and a message row inserted per trigger in one transaction each —
the floor of what a trigger costs the store — as µs per trigger.

    .venv/bin/python bench/journey_trigger_bench.py --seconds 600 \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from contactable_bench import _percentile, load
from scratch_db import on_each_dialect
from sqlalchemy import Engine, delete, select
from till_bench import Server, process_tree_cpu

from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.catalog.models import Game
from lottocrm.db.engine import transaction
from lottocrm.marketing.journeys import live, service
from lottocrm.marketing.journeys.models import JourneyInstance, JourneyVisit
from lottocrm.messaging.models import Message
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.render import Bodies
from lottocrm.player_events.models import PlayerEvent

AUTHOR, APPROVER = Actor("bench:marketer"), Actor("bench:approver")
TICK = 0.1


def _journey(engine: Engine) -> str:
    """The game, the template, the live journey; the events key."""
    with transaction(engine) as session:
        session.add(Game(id=1, code="rusloto", name="Русское лото", kind="draw", ticket_price_kopecks=10_000))
        template = templates.create_template(
            session, actor=AUTHOR, code="ticket_ok", name="Билет принят", message_class="service"
        )
        bodies = Bodies(sms_text="{{ first_name }}, ваш билет принят. Удачи в тираже!")
        draft = templates.save_draft(session, actor=AUTHOR, template_id=template.id, bodies=bodies)
        templates.publish_version(session, actor=AUTHOR, version_id=draft.version.id)
        document = {
            "entry": {"trigger": "ticket_purchase", "key": "ticket"},
            "start": "tell",
            "message_class": "service",
            "control_share": 0,
            "steps": {
                "tell": {"kind": "send", "template_id": template.id, "channels": ["sms"], "next": "done"},
                "done": {"kind": "exit"},
            },
        }
        version = service.create_journey(session, actor=AUTHOR, name="Билет принят", definition=document)
        live.go_live(session, actor=APPROVER, journey_id=version.journey_id, version=1, move_instances=False)
        _, key = auth.create_api_key(session, actor=AUTHOR, name="bench", scopes=["events:send"])
    return key


class Worker:
    """``lottocrm worker`` on the events queue, polling every 50 ms."""

    def __init__(self, url: str, data_dir: Path) -> None:
        env = {**os.environ, "LOTTOCRM_DATABASE_URL": url, "LOTTOCRM_DATA_DIR": str(data_dir)}
        command = [
            str(Path(sys.executable).with_name("lottocrm")),
            "--quiet",
            "worker",
            "--poll-seconds",
            "0.05",
        ]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

    def stop(self) -> None:
        """SIGTERM (the job in hand finishes), SIGKILL after a minute: what is left is counted already."""
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _post(base: str, key: str, rate: int, seconds: int, players: int, sent: dict[str, float]) -> None:
    """``rate`` ticket purchases a second, a batch every ``TICK``; each ticket id's post time in ``sent``."""
    per_tick = max(1, round(rate * TICK))
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    started = time.monotonic()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        for tick in range(int(seconds / TICK)):
            delay = started + tick * TICK - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            at = dt.datetime.now(dt.UTC).isoformat()
            tickets = [f"T{tick}-{n}" for n in range(per_tick)]
            events = [
                {
                    "id": f"e-{ticket}",
                    "type": "ticket_purchase",
                    "channel": "app",
                    "occurred_at": at,
                    "player_id": 1 + (tick * per_tick + n) % players,
                    "properties": {"game": "rusloto", "ticket_id": ticket, "amount_kopecks": 10_000},
                }
                for n, ticket in enumerate(tickets)
            ]
            posted = time.time()
            answer = http.post("/api/v1/events", content=json.dumps({"events": events}))
            if answer.status_code != 200 or answer.json()["accepted"] != len(events):
                raise RuntimeError(f"{answer.status_code}: {answer.text[:300]}")
            for ticket in tickets:
                sent[ticket] = posted


def _watch(engine: Engine, seen: dict[str, float], stop: threading.Event) -> None:
    """Every ``TICK``: the send-step visits committed since the last look, by ticket, with when seen."""
    last = 0
    while not stop.is_set():
        with engine.connect() as connection:
            rows = connection.execute(
                select(JourneyVisit.id, JourneyInstance.key)
                .join(JourneyInstance, JourneyInstance.id == JourneyVisit.instance_id)
                .where(JourneyVisit.id > last, JourneyVisit.step == "tell")
                .order_by(JourneyVisit.id)
            ).all()
        now = time.time()
        for visit_id, key in rows:
            seen.setdefault(key.removeprefix("ticket:"), now)
            last = visit_id
        time.sleep(TICK)


def _raw(engine: Engine, count: int) -> float:
    """µs per trigger for an event row and a message row, one transaction per trigger."""
    now = dt.datetime.now(dt.UTC)
    events, messages = PlayerEvent.__table__, Message.__table__
    started = time.perf_counter()
    for n in range(count):
        with engine.begin() as connection:
            connection.execute(
                events.insert().values(
                    event_id=f"raw-{n}",
                    type="ticket_purchase",
                    channel="app",
                    occurred_at=now,
                    received_at=now,
                    player_id=1,
                    properties={"ticket_id": n},
                    source="raw",
                )
            )
            connection.execute(
                messages.insert().values(
                    player_id=1,
                    channel="sms",
                    message_class="service",
                    contact_point="+79001",
                    address="+79001",
                    body="raw",
                    status="queued",
                    next_attempt_at=now,
                    attempts=0,
                    source_kind="system",
                    dedupe_key=f"raw-{n}",
                    policy_version=1,
                    created_at=now,
                    extra={},
                    headers={},
                )
            )
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(delete(events).where(events.c.source == "raw"))
        connection.execute(delete(messages).where(messages.c.body == "raw"))
    return seconds / count * 1e6


def measure(engine: Engine, label: str, args: argparse.Namespace, report: list[str]) -> None:
    print(f"{label}: loading {args.players:,} players", flush=True)
    load(engine, args.players)
    key = _journey(engine)
    url = engine.url.render_as_string(hide_password=False)
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as data:
        server = Server(url, Path(data), workers=1)
        worker = Worker(url, Path(data))
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(engine, seen, stop), daemon=True)
        try:
            watcher.start()
            cpu_before = server.cpu_seconds() + process_tree_cpu(worker.process.pid)
            _post(server.base, key, args.rate, args.seconds, args.players, sent)
            deadline = time.time() + 120
            while len(seen) < len(sent) and time.time() < deadline:
                time.sleep(0.5)
            cpu = server.cpu_seconds() + process_tree_cpu(worker.process.pid) - cpu_before
        finally:
            stop.set()
            watcher.join()
            worker.stop()
            server.stop()
    latencies = sorted(seen[ticket] - posted for ticket, posted in sent.items() if ticket in seen)
    missing = len(sent) - len(latencies)
    with engine.connect() as connection:
        queued = len(connection.execute(select(Message.id).where(Message.source_kind == "journey")).all())
    raw = _raw(engine, 2_000)
    report.append(
        f"| {label} | {len(sent):,} triggers at {args.rate}/s for {args.seconds} s | "
        f"p50 {_percentile(latencies, 0.5):.2f} s, **p95 {_percentile(latencies, 0.95):.2f} s, "
        f"p99 {_percentile(latencies, 0.99):.2f} s**, max {latencies[-1]:.2f} s | "
        f"{queued:,} messages queued, {missing} triggers not acted on in 2 min | "
        f"server + worker CPU {cpu / len(sent) * 1e3:.1f} ms/trigger | "
        f"raw: {raw:.0f} µs/trigger |"
    )
    print(report[-1], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to also measure on")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    report: list[str] = []
    print(f"load at start: {os.getloadavg()[0]:.1f}", flush=True)
    on_each_dialect(
        args.postgres,
        lambda engine, label: measure(engine, label, args, report),
        skip_sqlite=args.skip_sqlite,
    )
    print("\n| dialect | load | trigger → visit committed | outbox | CPU | raw engine |")
    print("|---|---|---|---|---|---|")
    print("\n".join(report))


if __name__ == "__main__":
    main()
