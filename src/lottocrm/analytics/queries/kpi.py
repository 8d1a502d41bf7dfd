"""KPIs per month (or week, or day): active players, new registrations, tickets, revenue, average check,
purchase frequency.

Periods are calendar periods in UTC, the lake's time zone. Money stays integer kopecks; the average check is
rounded down to whole kopecks. The ticket filters narrow the sales; new players are the registrations of
each period (in the region, when a region is given: a registration has no game or sales channel).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis
import ibis.expr.types as ir

from lottocrm.analytics.queries.base import (
    LakeQuery,
    LakeTables,
    Source,
    TicketFilters,
    registered_in_range,
)

GRAIN_UNITS = {"day": "D", "week": "W", "month": "M"}


def period(column: ir.TimestampColumn, grain: str) -> ir.DateColumn:
    """The first day of the period (calendar day, ISO week from Monday, or month) ``column`` falls in."""
    return column.truncate(GRAIN_UNITS[grain]).date()


class KpiQuery(LakeQuery, TicketFilters):
    kind: Literal["kpi"] = "kpi"
    grain: Literal["day", "week", "month"] = "month"
    sources: ClassVar = frozenset({Source.TICKETS, Source.PLAYERS})

    def expression(self, tables: LakeTables) -> ir.Table:
        """One row per period with sales, named after the grain (``month`` by default)."""
        tickets = self.tickets(tables.tickets)
        players = registered_in_range(tables.players, self.since, self.until)
        if self.region:
            players = players.filter(players.region == ibis.literal(self.region, "string"))
        key = self.grain
        sales = tickets.group_by(**{key: period(tickets.sold_at, self.grain)}).aggregate(
            active_players=tickets.player_id.nunique(),
            tickets=tickets.count(),
            revenue_kopecks=tickets.price_kopecks.sum(),
            known_player_tickets=tickets.player_id.count(),
        )
        registrations = players.group_by(**{key: period(players.registered_at, self.grain)}).aggregate(
            new_players=players.count()
        )
        joined = sales.left_join(registrations, key).select(
            sales[key],
            sales.active_players,
            registrations.new_players.fill_null(0).name("new_players"),
            sales.tickets,
            sales.revenue_kopecks,
            sales.known_player_tickets,
        )
        return (
            joined.mutate(
                average_check_kopecks=(joined.revenue_kopecks // joined.tickets).cast("int64"),
                frequency=ibis.ifelse(
                    joined.active_players > 0, joined.known_player_tickets / joined.active_players, 0.0
                ).round(2),
            )
            .drop("known_player_tickets")
            .order_by(key)
        )
