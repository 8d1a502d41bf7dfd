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
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection

from lottocrm import vocab


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


class LakeQuery(ReportQuery, ABC):
    @abstractmethod
    def expression(self, tables: LakeTables) -> ir.Table: ...


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
    """Which tickets count: sold from ``since`` to ``until`` (whole UTC days, both included — the lake's
    calendar, the one the reports' months are cut in), of one game, through one channel, in one region."""

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

    def tickets(self, tickets: ir.Table) -> ir.Table:
        """``tickets`` narrowed to the filters (unchanged when none is set)."""
        conditions = [
            *_moment_range(tickets.sold_at, self.since, self.until),
            *([tickets.game_id == ibis.literal(self.game, "int32")] if self.game is not None else []),
            *([tickets.channel == ibis.literal(self.channel, "string")] if self.channel else []),
            *([tickets.region == ibis.literal(self.region, "string")] if self.region else []),
        ]
        return tickets.filter(*conditions) if conditions else tickets


def _utc_midnight(day: dt.date) -> ir.TimestampScalar:
    return ibis.literal(dt.datetime.combine(day, dt.time(), dt.UTC), type="timestamp('UTC')")


def _moment_range(
    moment: ir.TimestampColumn, since: dt.date | None, until: dt.date | None
) -> list[ir.BooleanValue]:
    """Conditions keeping ``moment`` within the UTC days ``since``..``until`` (either may be open)."""
    conditions = []
    if since is not None:
        conditions.append(moment >= _utc_midnight(since))
    if until is not None:
        conditions.append(moment < _utc_midnight(until + dt.timedelta(days=1)))
    return conditions


def registered_in_range(players: ir.Table, since: dt.date | None, until: dt.date | None) -> ir.Table:
    """Players registered within the UTC days ``since``..``until``."""
    conditions = _moment_range(players.registered_at, since, until)
    return players.filter(*conditions) if conditions else players
