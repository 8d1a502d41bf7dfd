"""Lifecycle segments from the analytical record, and how players moved between two dates.

The operator reactivates by depth of churn, so lapsed players are split by how long ago they last bought.
Thresholds are days since the last purchase (recency), checked in order; a player who bought within
``active_days`` is "new" while the first purchase is recent, "vip" when recent spend is high, else "active".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

SEGMENTS = (
    "registered_no_purchase",
    "new",
    "active",
    "vip",
    "at_risk",
    "sleeping",
    "churned",
    "deep_churn",
)
NOT_REGISTERED = "not_registered"
# English message ids, translated where they are shown (the 360 panel, the dashboard).
SEGMENT_LABELS = dict(
    zip(
        SEGMENTS,
        (
            "Registered, no purchase",
            "New",
            "Active",
            "VIP",
            "At risk",
            "Sleeping",
            "Churned",
            "Deep churn",
        ),
        strict=True,
    )
)


@dataclass(frozen=True)
class LifecycleThresholds:
    """Defaults follow a weekly-draw rhythm: a month without a ticket is a warning, a year is deep churn.

    - ``new_days``: first purchase at most this many days ago → new (30);
    - ``active_days``: last purchase at most this many days ago → active / new / vip (30);
    - ``at_risk_days``: … at most this many → at risk (60);
    - ``sleeping_days``: … at most this many → sleeping (120);
    - ``churned_days``: … at most this many → churned (365); beyond → deep churn;
    - ``vip_spend_90d_kopecks``: an active player who spent at least this in the last 90 days is VIP
      (1 000 000 kopecks = 10 000 ₽, about two 500 ₽ tickets a week).
    """

    new_days: int = 30
    active_days: int = 30
    at_risk_days: int = 60
    sleeping_days: int = 120
    churned_days: int = 365
    vip_spend_90d_kopecks: int = 1_000_000

    def __post_init__(self) -> None:
        ladder = (self.active_days, self.at_risk_days, self.sleeping_days, self.churned_days)
        if self.new_days < 1 or ladder[0] < 1 or any(a >= b for a, b in itertools.pairwise(ladder)):
            raise ValueError(f"lifecycle thresholds must be positive and increasing, got {ladder}")
        if self.vip_spend_90d_kopecks < 0:
            raise ValueError("the VIP spend threshold cannot be negative")


def lifecycle_segment(record: ir.Table, thresholds: LifecycleThresholds) -> ir.StringValue:
    """The segment of each row of a player record, as an engine expression."""
    recency = record.recency_days
    return ibis.cases(
        (record.frequency == 0, "registered_no_purchase"),
        ((recency <= thresholds.active_days) & (record.tenure_days <= thresholds.new_days), "new"),
        (
            (recency <= thresholds.active_days)
            & (record.spend_90d_kopecks >= thresholds.vip_spend_90d_kopecks),
            "vip",
        ),
        (recency <= thresholds.active_days, "active"),
        (recency <= thresholds.at_risk_days, "at_risk"),
        (recency <= thresholds.sleeping_days, "sleeping"),
        (recency <= thresholds.churned_days, "churned"),
        else_="deep_churn",
    )


def migration_matrix(before: ir.Table, after: ir.Table) -> ir.Table:
    """(from_segment, to_segment, players) between two (player_id, segment) tables.

    Every player of the later date is counted once; those not yet registered at the earlier date come from
    ``not_registered``, so the counts add up to the later date's players.
    """
    earlier = before.select(earlier_player="player_id", from_segment="segment")
    joined = after.left_join(earlier, after.player_id == earlier.earlier_player)
    moves = joined.select(
        from_segment=joined.from_segment.fill_null(NOT_REGISTERED), to_segment=joined.segment
    )
    return moves.group_by("from_segment", "to_segment").aggregate(players=moves.count())
