"""Purchases: the unit behind every "purchase" the reports count (the funnel's steps, the average check,
purchases per active player).

A purchase is one identified player's tickets on one operator day. Five tickets bought at one kiosk visit,
or a week's draws paid for in one app session, are one purchase, not five. The day is the one measure every
feed can give (tickets carry no receipt, and a website basket's tickets can be stamped minutes apart), and it
is what the analytical record (``frequency``: purchase days, ``average_check_kopecks``: spend per purchase
day) and the lifetime-value models (same-day tickets merged into one transaction) already count, so the
dashboard and the player 360 mean the same thing by "average check". Anonymous retail tickets have no buyer
to group by: they count in tickets and revenue, never in purchases.
"""

from __future__ import annotations

import ibis.expr.types as ir


def purchases(tickets: ir.Table) -> ir.Table:
    """(player_id, day, spend_kopecks): one row per purchase among ``tickets``, which carry the operator
    ``day`` each was sold on (:meth:`LakeQuery.dated`)."""
    known = tickets.filter(tickets.player_id.notnull())
    return known.group_by(["player_id", "day"]).aggregate(spend_kopecks=known.price_kopecks.sum())
