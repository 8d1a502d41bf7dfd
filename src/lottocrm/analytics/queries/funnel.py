"""The purchase funnel: registered → 1st → 2nd → 5th purchase, counted over registered players.

Purchases, not tickets (see :mod:`~lottocrm.analytics.queries.purchases`): a first-time buyer of three
tickets has made one purchase, and reaches the second step only by coming back another day.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis.expr.types as ir

from lottocrm.analytics.queries.base import LakeQuery, LakeTables, Source
from lottocrm.analytics.queries.purchases import purchases


class FunnelQuery(LakeQuery):
    kind: Literal["funnel"] = "funnel"
    sources: ClassVar = frozenset({Source.TICKETS, Source.PLAYERS})
    # 2: purchases (a player's tickets of one operator day) instead of tickets.
    definition: ClassVar[int] = 2

    def expression(self, tables: LakeTables) -> ir.Table:
        bought = purchases(self.dated(tables.tickets))
        per_player = bought.group_by("player_id").aggregate(purchases=bought.count())
        joined = tables.players.select("player_id").left_join(per_player, "player_id")
        made = joined.purchases.fill_null(0)
        return joined.aggregate(
            registered=joined.count(),
            first_purchase=(made >= 1).cast("int64").sum().fill_null(0),
            second_purchase=(made >= 2).cast("int64").sum().fill_null(0),
            fifth_purchase=(made >= 5).cast("int64").sum().fill_null(0),
        )
