"""Sales by game, channel or region: tickets, revenue and identified buying players, largest revenue first."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis
import ibis.expr.types as ir

from lottocrm.analytics.queries.base import LakeQuery, LakeTables, Source, TicketFilters

# The lake column each dimension groups by.
DIMENSIONS = {"game": "game_id", "channel": "channel", "region": "region"}


class SalesQuery(LakeQuery, TicketFilters):
    kind: Literal["sales_by"] = "sales_by"
    by: Literal["game", "channel", "region"]
    sources: ClassVar = frozenset({Source.TICKETS, Source.GAMES})
    # 2: since/until are operator days instead of UTC ones.
    definition: ClassVar[int] = 2

    def expression(self, tables: LakeTables) -> ir.Table:
        tickets = self.tickets(tables.tickets, timezone=self.timezone)
        column = DIMENSIONS[self.by]
        grouped = tickets.group_by(column).aggregate(
            tickets=tickets.count(),
            revenue_kopecks=tickets.price_kopecks.sum(),
            players=tickets.player_id.nunique(),
        )
        if self.by == "game":
            # Named from the catalogue; a game missing from it keeps its id as its name.
            named = grouped.left_join(tables.games, "game_id")
            grouped = named.select(
                grouped.game_id,
                named.game.fill_null(grouped.game_id.cast("string")).name("game"),
                grouped.tickets,
                grouped.revenue_kopecks,
                grouped.players,
            )
        return grouped.order_by(ibis.desc("revenue_kopecks"))
