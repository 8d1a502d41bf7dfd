"""Monthly spending limits, fed by ticket imports: when a batch of tickets is committed, the players with a
limit among its buyers are checked against their spend in the operator's current month and, once they
reach it, marked until the month ends (``limit_reached_until``): the contact policy stops marketing to them
(``spend_limit_reached``). A new month clears it by itself: the date has passed.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.events.delivery import EventContext
from lottocrm.events.outbox import emit
from lottocrm.lake.store import Lake
from lottocrm.players.events import ResponsibleGamingChanged
from lottocrm.players.models import ResponsibleGaming
from lottocrm.settings import get_settings

CHECKER = Actor("job:players.spend_limits")


def _month(now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.date]:
    """The operator's current month as [start, end) in UTC, and its last day."""
    today = clock.operator_day(now)
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    start, _ = clock.day_bounds(first)
    _, end = clock.day_bounds(last)
    return start, end, last


def _spend(lake: Lake, player_ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    connection = lake.connect()
    try:
        connection.register("limited", pa.table({"player_id": pa.array(player_ids, pa.int64())}))
        rows = connection.execute(
            f"SELECT t.player_id, sum(t.price_kopecks) FROM {lake.scan_sql('tickets')} t "
            "JOIN limited USING (player_id) WHERE t.sold_at >= ? AND t.sold_at < ? GROUP BY 1",
            [start, end],
        ).fetchall()
    finally:
        connection.close()
    return {int(player_id): int(total) for player_id, total in rows}


def mark_reached_limits(
    session: Session, *, lake: Lake, player_ids: list[int] | None, now: dt.datetime | None = None
) -> list[int]:
    """Mark the players (of ``player_ids``; None: every player with a limit) whose spend this month has
    reached their limit. Returns who was newly marked; each is audited and announced."""
    moment = now or clock.now()
    start, end, last_day = _month(moment)
    query = select(ResponsibleGaming).where(ResponsibleGaming.monthly_spend_limit_kopecks.is_not(None))
    if player_ids is not None:
        query = query.where(ResponsibleGaming.player_id.in_(player_ids))
    limited = {state.player_id: state for state in session.scalars(query)}
    if not limited:
        return []
    spent = _spend(lake, sorted(limited), start, end)
    marked = []
    for player_id, state in sorted(limited.items()):
        if (
            state.limit_reached_until == last_day
            or spent.get(player_id, 0) < state.monthly_spend_limit_kopecks
        ):
            continue
        state.limit_reached_until, state.updated_at = last_day, moment
        audit(
            session,
            actor=CHECKER,
            action="player.responsible_gaming.limit_reached",
            player_id=player_id,
            detail={"spent_kopecks": spent[player_id], "limit_kopecks": state.monthly_spend_limit_kopecks},
        )
        emit(
            session,
            ResponsibleGamingChanged(
                player_id=player_id,
                self_excluded_until=state.self_excluded_until,
                monthly_spend_limit_kopecks=state.monthly_spend_limit_kopecks,
                returned_at=state.returned_at,
                timeout_until=state.timeout_until,
            ),
        )
        marked.append(player_id)
    session.flush()
    return marked


def check_spend_limits(context: EventContext) -> None:
    """Subscriber of ``ingest.tickets_committed``."""
    player_ids = getattr(context.payload, "player_ids", None)
    with context.once() as session:
        mark_reached_limits(session, lake=Lake(get_settings().lake_path), player_ids=player_ids)
