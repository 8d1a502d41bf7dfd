"""Cohort retention: the share of each registration-month cohort buying in each month since registration
(0 = the month of registration), up to ``max_months``. Months are the operator's calendar months; a cell of
the month of the lake's latest sale is not ``complete`` (counted so far)."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis.expr.types as ir
from pydantic import Field

from lottocrm.analytics.queries.base import LakeQuery, LakeTables, Source
from lottocrm.analytics.queries.kpi import period


def _months_between(later: ir.DateColumn, earlier: ir.DateColumn) -> ir.IntegerColumn:
    return (later.year() - earlier.year()) * 12 + (later.month() - earlier.month())


class CohortsQuery(LakeQuery):
    kind: Literal["cohorts"] = "cohorts"
    max_months: int = Field(default=12, ge=1, le=120)
    sources: ClassVar = frozenset({Source.TICKETS, Source.PLAYERS})
    # 2: operator months instead of UTC ones; completeness.
    definition: ClassVar[int] = 2

    def expression(self, tables: LakeTables) -> ir.Table:
        tickets, players = self.dated(tables.tickets), tables.players
        cohorts = players.select(
            player_id=players.player_id, cohort=period(self.day(players.registered_at), "month")
        )
        sizes = cohorts.group_by("cohort").aggregate(cohort_size=cohorts.count())
        active = (
            tickets.filter(tickets.player_id.notnull())
            .select(player_id=tickets.player_id, month=period(tickets.day, "month"))
            .distinct()
        )
        joined = active.join(cohorts, "player_id")
        by_age = joined.mutate(age=_months_between(joined.month, joined.cohort))
        by_age = by_age.filter((by_age.age >= 0) & (by_age.age <= self.max_months))
        counts = by_age.group_by(["cohort", "age", "month"]).aggregate(
            active_players=by_age.player_id.nunique()
        )
        result = counts.join(sizes, "cohort")
        latest_month = period(self.last_sale_day(tables), "month")
        return result.select(
            "cohort",
            "age",
            "active_players",
            "cohort_size",
            retention=(result.active_players / result.cohort_size).round(4),
            complete=(result.month < latest_month).fill_null(False),
        ).order_by(["cohort", "age"])
