"""Earn for lottery tickets read from the fact lake, for players who hold a card.

Re-running is safe: each ticket earns under the key ``ticket:<id>`` once. Tickets are processed in batches,
each batch one transaction that locks its members in ascending id order first, like every other writer.
Points are dated at the sale, so lots expire a year after the ticket and caps count the day it was sold.
A run that earned something ends with one audit row (who ran it, how many tickets and points), as the
maintenance runs do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import Engine, select

from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.loyalty.ledger import postings
from lottocrm.loyalty.models import LoyaltyAccount
from lottocrm.loyalty.programme import earning
from lottocrm.loyalty.programme.maintenance import record_run

BATCH_TICKETS = 500


@dataclass
class LakeEarnSummary:
    tickets: int = 0
    earned: int = 0
    points: int = 0


def earn_from_lake(
    engine: Engine,
    lake: Lake,
    *,
    actor: Actor,
    since: dt.datetime | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> LakeEarnSummary:
    with transaction(engine) as session:
        accounts = dict(
            session.execute(
                select(LoyaltyAccount.player_id, LoyaltyAccount.id).where(LoyaltyAccount.kind == "member")
            ).all()
        )
    summary = LakeEarnSummary()
    if not accounts:
        return summary
    con = lake.connect()
    con.register("loyalty_members", pa.table({"player_id": pa.array(list(accounts), pa.int64())}))
    cursor = con.execute(
        "SELECT t.ticket_id, t.player_id, t.game_id, t.draw_id, t.channel, t.price_kopecks, t.sold_at "
        "FROM tickets t JOIN loyalty_members m USING (player_id) WHERE $since IS NULL OR t.sold_at >= $since "
        "ORDER BY t.sold_at, t.ticket_id",
        {"since": since},
    )
    while rows := cursor.fetchmany(BATCH_TICKETS):
        with transaction(engine) as session:
            postings.lock_members(session, (accounts[row[1]] for row in rows))
            for ticket_id, player_id, game_id, draw_id, channel, price, sold_at in rows:
                ticket = earning.Ticket(
                    ticket_id=ticket_id,
                    game_id=game_id,
                    draw_id=draw_id,
                    channel=channel,
                    price_kopecks=price,
                    sold_at=sold_at.astimezone(dt.UTC),
                )
                result = earning.earn_for_ticket(
                    session, account_id=accounts[player_id], ticket=ticket, now=ticket.sold_at
                )
                summary.tickets += 1
                if result is not None:
                    summary.earned += 1
                    summary.points += result.points
        if on_batch:
            on_batch(len(rows))
    if summary.earned:
        detail = {
            "since": since.isoformat() if since else None,
            "tickets": summary.tickets,
            "earned": summary.earned,
            "points": summary.points,
        }
        record_run(engine, actor=actor, action="loyalty.tickets_earned", detail=detail)
    return summary
