"""The purchase funnel: registered → 1st → 2nd → 5th purchase, counted over registered players."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis.expr.types as ir

from lottocrm.analytics.queries.base import LakeQuery, LakeTables, Source


class FunnelQuery(LakeQuery):
    kind: Literal["funnel"] = "funnel"
    sources: ClassVar = frozenset({Source.TICKETS, Source.PLAYERS})

    def expression(self, tables: LakeTables) -> ir.Table:
        tickets, players = tables.tickets, tables.players
        known = tickets.filter(tickets.player_id.notnull())
        per_player = known.group_by("player_id").aggregate(purchases=known.count())
        joined = players.select("player_id").left_join(per_player, "player_id")
        purchases = joined.purchases.fill_null(0)
        return joined.aggregate(
            registered=joined.count(),
            first_purchase=(purchases >= 1).cast("int64").sum().fill_null(0),
            second_purchase=(purchases >= 2).cast("int64").sum().fill_null(0),
            fifth_purchase=(purchases >= 5).cast("int64").sum().fill_null(0),
        )
