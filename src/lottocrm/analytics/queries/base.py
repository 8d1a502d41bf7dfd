"""What a report query is: a frozen, typed document of what a user asked for, that knows how to compute it.

A query names its ``kind``, carries validated parameters (dates, a game, a channel…) and declares the
``sources`` it reads. It never runs itself: :class:`~lottocrm.analytics.queries.runner.ReportRunner` decides
whether a stored result still holds (the document and its sources' versions are the cache key) and, if not,
opens the sources once and asks the query for its result.

Two shapes: a :class:`LakeQuery` returns an Ibis expression over the lake's tickets and the store's players
and games (the runner executes it on DuckDB); a :class:`StoreQuery` reads the operational store through a
SQLAlchemy connection. User values reach SQL only as typed constants — Ibis literals or bound parameters —
and only after the document has validated them.

``definition`` is part of the cache key: bump it when a query's calculation changes, so results computed by
the old definition are never served.

Lake queries count in the operator's calendar: days, weeks and months are those of ``timezone`` (the
operator's zone, ``LOTTOCRM_TIMEZONE``, unless a document names another), because a sale at 01:30 in Moscow
on 1 December is a December sale to everyone who reads the report. The zone is a field of the document, so
results counted in another zone are another cache entry.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfoNotFoundError

import ibis
import ibis.expr.datatypes as dt_types
import ibis.expr.types as ir
import pyarrow as pa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection

from lottocrm import clock, vocab


class Source(StrEnum):
    """An input a query reads; each has a version that changes whenever its data can have changed."""

    TICKETS = "tickets"  # the lake's tickets
    PLAYERS = "players"  # the store's players
    GAMES = "games"  # the store's game catalogue
    RECORD = "record"  # the store's player analytical record (player_analytics)


class ReportQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    sources: ClassVar[frozenset[Source]]
    definition: ClassVar[int] = 1


@dataclass(frozen=True)
class LakeTables:
    """What a lake query's expression is built on: ``tickets`` from the lake, ``players`` (player_id,
    registered_at, region) and ``games`` (game_id, game) extracted from the store."""

    tickets: ir.Table
    players: ir.Table
    games: ir.Table


@ibis.udf.scalar.builtin(
    name="timezone", signature=((dt_types.string, dt_types.Timestamp(timezone="UTC")), dt_types.timestamp)
)
def _timezone(zone: str, moment: dt.datetime) -> dt.datetime:
    """DuckDB's ``timezone(zone, timestamptz)``: the wall-clock time in ``zone`` (ICU, built into DuckDB)."""


def _operator_zone() -> str:
    return clock.operator_zone().key


class LakeQuery(ReportQuery, ABC):
    timezone: str = Field(default_factory=_operator_zone)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            clock.zone_named(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}") from None
        return name

    @abstractmethod
    def expression(self, tables: LakeTables) -> ir.Table: ...

    def wall_clock(self, moment: ir.TimestampValue) -> ir.TimestampValue:
        """``moment`` (UTC) as the operator's wall-clock time, daylight saving included."""
        return _timezone(ibis.literal(self.timezone, "string"), moment)

    def day(self, moment: ir.TimestampValue) -> ir.DateValue:
        """The operator's calendar day ``moment`` falls on."""
        return self.wall_clock(moment).date()

    def dated(self, tickets: ir.Table) -> ir.Table:
        """``tickets`` with the operator ``day`` each was sold on."""
        return tickets.mutate(day=self.day(tickets.sold_at))

    def last_sale_day(self, tables: LakeTables) -> ir.DateScalar:
        """The operator day of the lake's latest sale, whatever the document's filters: a period that ends
        before it is complete (its sales are in), the period holding it is so far."""
        return self.day(tables.tickets.sold_at.max()).as_scalar()


class StoreQuery(ReportQuery, ABC):
    @abstractmethod
    def calculate(self, connection: Connection) -> pa.Table: ...


def _region_code(code: str) -> str:
    # ISO 3166-2:RU, as imports accept it.
    if not re.fullmatch(r"RU-[A-Z]{1,3}", code):
        raise ValueError(f"{code!r} is not a region code such as RU-MOW (ISO 3166-2:RU)")
    return code


SalesChannel = Literal[vocab.SALES_CHANNELS]  # type: ignore[valid-type]
Region = Annotated[str, AfterValidator(_region_code)]
GameId = Annotated[int, Field(gt=0, lt=2**31)]


class TicketFilters(BaseModel):
    """Which tickets count: sold from ``since`` to ``until`` (whole operator days, both included), of one
    game, through one channel, in one region."""

    since: dt.date | None = None
    until: dt.date | None = None
    game: GameId | None = None
    channel: SalesChannel | None = None
    region: Region | None = None

    @model_validator(mode="after")
    def _range_in_order(self) -> TicketFilters:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError(f"since {self.since} is after until {self.until}")
        return self

    def tickets(self, tickets: ir.Table, *, timezone: str) -> ir.Table:
        """``tickets`` narrowed to the filters (unchanged when none is set)."""
        conditions = [
            *_moment_range(tickets.sold_at, self.since, self.until, timezone),
            *([tickets.game_id == ibis.literal(self.game, "int32")] if self.game is not None else []),
            *([tickets.channel == ibis.literal(self.channel, "string")] if self.channel else []),
            *([tickets.region == ibis.literal(self.region, "string")] if self.region else []),
        ]
        return tickets.filter(*conditions) if conditions else tickets


def _instant(moment: dt.datetime) -> ir.TimestampScalar:
    return ibis.literal(moment, type="timestamp('UTC')")


def _moment_range(
    moment: ir.TimestampColumn, since: dt.date | None, until: dt.date | None, timezone: str
) -> list[ir.BooleanValue]:
    """Conditions keeping ``moment`` within the operator days ``since``..``until`` (either may be open),
    compared as UTC instants so the engine can prune files on the timestamps' statistics."""
    conditions = []
    if since is not None:
        conditions.append(moment >= _instant(clock.day_bounds(since, zone=timezone)[0]))
    if until is not None:
        conditions.append(moment < _instant(clock.day_bounds(until, zone=timezone)[1]))
    return conditions


def registered_in_range(
    players: ir.Table, since: dt.date | None, until: dt.date | None, *, timezone: str
) -> ir.Table:
    """Players registered within the operator days ``since``..``until``."""
    conditions = _moment_range(players.registered_at, since, until, timezone)
    return players.filter(*conditions) if conditions else players
