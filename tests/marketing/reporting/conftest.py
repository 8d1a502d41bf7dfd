"""A small sent campaign and a lake of tickets around it, with an oracle that reads each member's response
the slow, obvious way (a loop over every ticket), to check the one-query DuckDB version against."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.messaging.models import Message

from ..history.conftest import add_players

SENT = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
WINDOW_DAYS = 14
GAME = 1


def definition(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "channels": ["sms"],
        "variants": [{"name": "A", "template_id": 1}],
        "control_share": 0.25,
        "response": {"kind": "purchase", "game_id": GAME, "window_days": WINDOW_DAYS},
        "schedule": {"kind": "once", "at": "2026-09-01T12:00:00+03:00"},
        "cost_per_message_kopecks": 150,
    }
    return {**document, **changes}


@dataclass
class World:
    campaign_id: int
    run_ids: list[int]
    # (run_id, player_id, treated, stratum, assigned_at) per member, in (run, player) order.
    members: list[tuple[int, int, bool, str, dt.datetime]]
    tickets: list[dict[str, Any]]


def build_world(
    engine: Engine,
    lake: Lake,
    *,
    players: int = 60,
    runs: int = 1,
    seed: int = 7,
    document: dict[str, Any] | None = None,
    variants: tuple[str, ...] = ("A",),
) -> World:
    """``runs`` runs a week apart, each over every player (a quarter in the control, strata by id), messages
    for the treated (some delivered, some failed, some only queued), and random tickets before, during and
    after the windows, with some exactly on their edges. The treated get ``variants`` in turn by id."""
    rng = random.Random(seed)
    add_players(engine, range(1, players + 1))
    members: list[tuple[int, int, bool, str, dt.datetime]] = []
    with transaction(engine) as session:
        campaign = Campaign(
            name="Осенняя реактивация",
            kind="one_off",
            status="done",
            definition=document or definition(),
            snapshot=None,
            created_at=SENT - dt.timedelta(days=3),
            created_by="user:marketer",
        )
        session.add(campaign)
        session.flush()
        run_ids = []
        for number in range(runs):
            started = SENT + dt.timedelta(days=7 * number)
            run = CampaignRun(
                campaign_id=campaign.id, occurrence=started.isoformat(), status="done", started_at=started
            )
            session.add(run)
            session.flush()
            run_ids.append(run.id)
            for pid in range(1, players + 1):
                treated = pid % 4 != 0
                assigned = started + dt.timedelta(minutes=pid)
                stratum = ("active" if pid % 3 else "sleeping") + f":{pid % 10}"
                message_id = None
                if treated:
                    status = (
                        ("delivered", "failed", "queued", "sent")[pid % 4 - 1] if pid % 5 else "delivered"
                    )
                    message = Message(
                        player_id=pid,
                        channel="sms",
                        message_class="marketing",
                        contact_point=f"+7916{pid:07d}",
                        address=f"+7916{pid:07d}",
                        body="Вернитесь!",
                        status=status,
                        next_attempt_at=assigned,
                        source_kind="campaign",
                        source_id=str(campaign.id),
                        policy_version=1,
                        created_at=assigned,
                        sent_at=None if status == "queued" else assigned,
                    )
                    session.add(message)
                    session.flush()
                    message_id = message.id
                session.add(
                    CampaignMember(
                        run_id=run.id,
                        player_id=pid,
                        arm="treatment" if treated else "control",
                        variant=variants[pid % len(variants)] if treated else None,
                        stratum=stratum,
                        channel="sms" if treated else None,
                        message_id=message_id,
                        assigned_at=assigned,
                    )
                )
                members.append((run.id, pid, treated, stratum, assigned))
        campaign_id = campaign.id
    tickets = _tickets(rng, members, players)
    lake.append("tickets", pa.Table.from_pylist(tickets), batch_id=f"reporting-{seed}")
    return World(campaign_id, run_ids, members, tickets)


def _tickets(rng: random.Random, members: list[Any], players: int) -> list[dict[str, Any]]:
    first = min(m[4] for m in members) - dt.timedelta(days=WINDOW_DAYS + 5)
    last = max(m[4] for m in members) + dt.timedelta(days=WINDOW_DAYS + 5)
    span = (last - first).total_seconds()
    moments = []
    for pid in range(1, players + 1):
        for _ in range(rng.randint(0, 6)):
            moments.append((pid, first + dt.timedelta(seconds=rng.uniform(0, span))))
    # The edges, for the first run's members: the window's first instant counts, its end does not; the
    # pre-period's first instant counts.
    for _run, pid, _treated, _stratum, assigned in members[:12]:
        edge = (
            assigned,
            assigned + dt.timedelta(days=WINDOW_DAYS),
            assigned - dt.timedelta(days=WINDOW_DAYS),
        )
        moments.append((pid, edge[pid % 3]))
    return [
        {
            "ticket_id": number,
            "player_id": pid,
            "game_id": rng.choice((1, 2)),
            "draw_id": None,
            "channel": "website",
            "pos_id": None,
            "region": "RU-MOW",
            "price_kopecks": rng.choice((5000, 10000, 30000)),
            "sold_at": at,
        }
        for number, (pid, at) in enumerate(moments, start=1)
    ]


def oracle(world: World, *, game: int | None = GAME, days: int = WINDOW_DAYS) -> list[tuple[bool, int, int]]:
    """(responded, spend, pre-period spend) of each member, by looking at every ticket in turn."""
    window = dt.timedelta(days=days)
    found = []
    for _run, pid, _treated, _stratum, assigned in world.members:
        responded, spend, before = False, 0, 0
        for ticket in world.tickets:
            if ticket["player_id"] != pid:
                continue
            at = ticket["sold_at"]
            if assigned <= at < assigned + window:
                spend += ticket["price_kopecks"]
                responded = responded or game is None or ticket["game_id"] == game
            elif assigned - window <= at < assigned:
                before += ticket["price_kopecks"]
        found.append((responded, spend, before))
    return found
