"""KPIs per month (or week, or day) of the operator's calendar: active players, new registrations,
purchases, tickets, revenue, average check, purchases per active player — each defined once, in
docs/analytics-reports.md ("Measures").

Money stays integer kopecks; the average check is rounded down to whole kopecks. The ticket filters narrow
the sales; new players are the registrations of each period (in the region, when a region is given: a
registration has no game or sales channel). Each row says whether its period is ``complete``: the lake holds
a sale after it, so its sales are in. The period of the lake's latest sale is counted so far, up to
``through`` (the last day of the period with a sale).
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
from lottocrm.analytics.queries.purchases import purchases

GRAIN_UNITS = {"day": "D", "week": "W", "month": "M"}


def period(day: ir.DateValue, grain: str) -> ir.DateValue:
    """The first day of the period (the day itself, the ISO week from Monday, or the month) of ``day``."""
    return day if grain == "day" else day.truncate(GRAIN_UNITS[grain])


class KpiQuery(LakeQuery, TicketFilters):
    kind: Literal["kpi"] = "kpi"
    grain: Literal["day", "week", "month"] = "month"
    sources: ClassVar = frozenset({Source.TICKETS, Source.PLAYERS})
    # 2: operator days instead of UTC ones; purchases, average check per purchase, completeness.
    definition: ClassVar[int] = 2

    def expression(self, tables: LakeTables) -> ir.Table:
        """One row per period with sales, named after the grain (``month`` by default)."""
        key = self.grain
        tickets = self.dated(self.tickets(tables.tickets, timezone=self.timezone))
        sales = tickets.group_by(**{key: period(tickets.day, key)}).aggregate(
            through=tickets.day.max(),
            tickets=tickets.count(),
            revenue_kopecks=tickets.price_kopecks.sum(),
        )
        bought = purchases(tickets)
        buying = bought.group_by(**{key: period(bought.day, key)}).aggregate(
            active_players=bought.player_id.nunique(),
            purchases=bought.count(),
            spend_kopecks=bought.spend_kopecks.sum(),
        )
        players = registered_in_range(tables.players, self.since, self.until, timezone=self.timezone)
        if self.region:
            players = players.filter(players.region == ibis.literal(self.region, "string"))
        registered = players.mutate(day=self.day(players.registered_at))
        registrations = registered.group_by(**{key: period(registered.day, key)}).aggregate(
            new_players=registered.count()
        )
        with_buyers = sales.left_join(buying, key).drop(f"{key}_right")
        joined = with_buyers.left_join(registrations, key).drop(f"{key}_right")
        active = joined.active_players.fill_null(0)
        bought_count = joined.purchases.fill_null(0)
        return joined.select(
            joined[key],
            complete=(joined[key] < period(self.last_sale_day(tables), key)).fill_null(False),
            through=joined.through,
            active_players=active.cast("int64"),
            new_players=joined.new_players.fill_null(0).cast("int64"),
            purchases=bought_count.cast("int64"),
            tickets=joined.tickets.cast("int64"),
            revenue_kopecks=joined.revenue_kopecks.cast("int64"),
            # No purchase (only anonymous tickets): no average check and no frequency, rather than a 0.
            average_check_kopecks=ibis.ifelse(
                bought_count > 0, joined.spend_kopecks // bought_count, ibis.null("int64")
            ).cast("int64"),
            frequency=ibis.ifelse(active > 0, (bought_count / active).round(2), ibis.null("float64")).cast(
                "float64"
            ),
        ).order_by(key)
