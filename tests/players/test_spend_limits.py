"""A player who reaches their monthly spending limit is marked until the month ends, and the contact policy
stops marketing to them; spend in another month, or below the limit, marks no one."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sqlalchemy import Engine, select

from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.contact_policy import service as gate
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.players.models import ResponsibleGaming
from lottocrm.players.spend_limits import mark_reached_limits

NOW = dt.datetime(2026, 3, 15, 9, 0, tzinfo=dt.UTC)


def _tickets(lake: Lake, rows: list[tuple[int, int, dt.datetime]]) -> None:
    table = pa.table(
        {
            "ticket_id": pa.array(range(1, len(rows) + 1), pa.int64()),
            "player_id": pa.array([r[0] for r in rows], pa.int64()),
            "game_id": pa.array([1] * len(rows), pa.int32()),
            "draw_id": pa.array([None] * len(rows), pa.int64()),
            "channel": ["website"] * len(rows),
            "pos_id": pa.array([None] * len(rows), pa.int64()),
            "region": ["RU-MOW"] * len(rows),
            "price_kopecks": pa.array([r[1] for r in rows], pa.int64()),
            "sold_at": pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )
    lake.append("tickets", table, batch_id="limits-1")


def test_reaching_the_limit_stops_marketing_until_the_month_ends(
    engine: Engine, lake: Lake, contactable
) -> None:  # type: ignore[no-untyped-def]
    reaches, below, last_month = contactable(3)
    with transaction(engine) as session:
        for player_id in (reaches, below, last_month):
            session.add(
                ResponsibleGaming(
                    player_id=player_id, monthly_spend_limit_kopecks=50_000, flags=[], updated_at=NOW
                )
            )
    _tickets(
        lake,
        [
            (reaches, 30_000, NOW - dt.timedelta(days=2)),
            (reaches, 20_000, NOW - dt.timedelta(hours=1)),
            (below, 49_999, NOW - dt.timedelta(hours=1)),
            (last_month, 90_000, dt.datetime(2026, 2, 27, 12, tzinfo=dt.UTC)),
        ],
    )
    with clock.frozen(NOW), transaction(engine) as session:
        assert mark_reached_limits(session, lake=lake, player_ids=None) == [reaches]
        assert mark_reached_limits(session, lake=lake, player_ids=[reaches, below]) == []  # once
    with clock.frozen(NOW), transaction(engine) as session:
        assert session.get(ResponsibleGaming, reaches).limit_reached_until == dt.date(2026, 3, 31)
        decision = gate.decide(session, player_id=reaches, channel="email", message_class="marketing")
        assert decision.blocked_by == "spend_limit_reached"
        assert decision.reasons[0].detail == {"until": "2026-03-31"}
        assert gate.decide(session, player_id=below, channel="email", message_class="marketing").allowed
        audited = session.scalars(
            select(AuditEvent.player_id).where(AuditEvent.action == "player.responsible_gaming.limit_reached")
        ).all()
        assert audited == [reaches]
    with clock.frozen(dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)), transaction(engine) as session:
        assert gate.decide(session, player_id=reaches, channel="email", message_class="marketing").allowed
