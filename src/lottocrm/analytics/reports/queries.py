"""The report definitions, as Ibis expressions over ``tickets`` (lake), ``players`` and ``games`` (extracts).

Months are calendar months in UTC, the lake's time zone. Money stays integer kopecks; an average check is
rounded down to whole kopecks.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def _month(column: ir.TimestampColumn) -> ir.DateColumn:
    return column.truncate("M").date()


def kpi_monthly(tickets: ir.Table, players: ir.Table) -> ir.Table:
    """Per month: active players, new registrations, tickets, revenue, average check, purchase frequency."""
    sales = tickets.group_by(month=_month(tickets.sold_at)).aggregate(
        active_players=tickets.player_id.nunique(),
        tickets=tickets.count(),
        revenue_kopecks=tickets.price_kopecks.sum(),
        known_player_tickets=tickets.player_id.count(),
    )
    registrations = players.group_by(month=_month(players.registered_at)).aggregate(
        new_players=players.count()
    )
    joined = sales.left_join(registrations, "month").select(
        sales.month,
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
        .order_by("month")
    )


def _months_between(later: ir.DateColumn, earlier: ir.DateColumn) -> ir.IntegerColumn:
    return (later.year() - earlier.year()) * 12 + (later.month() - earlier.month())


def cohort_retention(tickets: ir.Table, players: ir.Table, *, max_months: int = 12) -> ir.Table:
    """Share of each registration-month cohort buying in each month since registration (0 = that month)."""
    cohorts = players.select(player_id=players.player_id, cohort=_month(players.registered_at))
    sizes = cohorts.group_by("cohort").aggregate(cohort_size=cohorts.count())
    active = (
        tickets.filter(tickets.player_id.notnull())
        .select(player_id=tickets.player_id, month=_month(tickets.sold_at))
        .distinct()
    )
    joined = active.join(cohorts, "player_id")
    by_age = joined.mutate(age=_months_between(joined.month, joined.cohort))
    by_age = by_age.filter((by_age.age >= 0) & (by_age.age <= max_months))
    counts = by_age.group_by(["cohort", "age"]).aggregate(active_players=by_age.player_id.nunique())
    result = counts.join(sizes, "cohort")
    return result.mutate(retention=(result.active_players / result.cohort_size).round(4)).order_by(
        ["cohort", "age"]
    )


def funnel(tickets: ir.Table, players: ir.Table) -> ir.Table:
    """Registered → 1st → 2nd → 5th purchase, counted over registered players."""
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


def sales_by(tickets: ir.Table, dimension: str, games: ir.Table | None = None) -> ir.Table:
    """Tickets, revenue and buying players per game, channel or region, largest revenue first."""
    grouped = tickets.group_by(dimension).aggregate(
        tickets=tickets.count(),
        revenue_kopecks=tickets.price_kopecks.sum(),
        players=tickets.player_id.nunique(),
    )
    if dimension == "game_id" and games is not None:
        named = grouped.left_join(games, "game_id")
        grouped = named.select(
            grouped.game_id,
            named.game.fill_null(grouped.game_id.cast("string")).name("game"),
            grouped.tickets,
            grouped.revenue_kopecks,
            grouped.players,
        )
    return grouped.order_by(ibis.desc("revenue_kopecks"))
