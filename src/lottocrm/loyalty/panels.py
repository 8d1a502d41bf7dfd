"""Loyalty on the player 360: the balance and tier panel, and the points operations on the timeline.

Labels and values are typed (:mod:`lottocrm.presentation.values`), so the page shows them in the reader's
language and the API in English. Listed in ``loyalty/wiring.py``; players never imports this module.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyOperation
from lottocrm.players.contrib import TimelineEntry
from lottocrm.presentation.values import Joined, Message, Moment, Number, PanelOut, PanelValue, panel

RECENT_OPERATIONS = 5
# Operation kinds and tier codes as message ids the page translates.
OPERATION_LABELS = {
    "earn": "Points earned",
    "earn_reversal": "Earning reversed",
    "welcome_bonus": "Welcome bonus",
    "authorize": "Points held",
    "capture": "Points redeemed",
    "void": "Hold released",
    "refund": "Points refunded",
    "expire": "Points expired",
    "adjust": "Adjustment",
}
TIER_LABELS = {"bronze": "Bronze", "silver": "Silver", "gold": "Gold", "vip": "VIP"}
# An operation stores its points unsigned (an adjustment excepted: it carries its own sign); these take
# points from the member, so the 360 shows them negative.
TAKEN_FROM_MEMBER = frozenset({"authorize", "capture", "expire", "earn_reversal"})


def member_points(kind: str, points: int) -> Number:
    """An operation's points as the member sees them: given positive, taken negative."""
    return Number(-abs(points) if kind in TAKEN_FROM_MEMBER else points, signed=True)


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    """One query: the account's balance and tier beside its latest operations (none: one row of NULLs)."""
    rows = session.execute(
        select(
            LoyaltyAccount.balance,
            LoyaltyAccount.tier,
            LoyaltyOperation.kind,
            LoyaltyOperation.points,
            LoyaltyOperation.created_at,
        )
        .select_from(LoyaltyAccount)
        .outerjoin(LoyaltyOperation, LoyaltyOperation.account_id == LoyaltyAccount.id)
        .where(LoyaltyAccount.player_id == player_id)
        .order_by(LoyaltyOperation.created_at.desc(), LoyaltyOperation.id.desc())
        .limit(RECENT_OPERATIONS)
    ).all()
    if not rows:
        return []
    tier = rows[0].tier or "—"
    values: list[tuple[str, PanelValue]] = [
        ("Balance", Number(rows[0].balance or 0)),
        ("Loyalty tier", Message(TIER_LABELS.get(tier, tier))),
    ]
    values += [
        (
            OPERATION_LABELS.get(row.kind, row.kind),
            Joined((member_points(row.kind, row.points), Moment(row.created_at))),
        )
        for row in rows
        if row.kind is not None
    ]
    return [panel("loyalty", "Loyalty", values)]


class OperationsTimeline:
    """Every points operation of the player's account."""

    name = "loyalty.operations"

    def entries(
        self, session: Session, *, player_id: int, before: dt.datetime | None, limit: int
    ) -> list[TimelineEntry]:
        query = (
            select(LoyaltyOperation.id, LoyaltyOperation.kind, LoyaltyOperation.points)
            .add_columns(LoyaltyOperation.created_at)
            .join(LoyaltyAccount, LoyaltyAccount.id == LoyaltyOperation.account_id)
            .where(LoyaltyAccount.player_id == player_id)
            .order_by(LoyaltyOperation.created_at.desc(), LoyaltyOperation.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(LoyaltyOperation.created_at <= before)
        return [
            TimelineEntry(
                at=row.created_at,
                domain="loyalty",
                kind=row.kind,
                title=Message(OPERATION_LABELS.get(row.kind, row.kind)),
                detail=member_points(row.kind, row.points),
                ref=f"operation:{row.id:020d}",
            )
            for row in session.execute(query)
        ]


OPERATIONS_TIMELINE = OperationsTimeline()
