"""Runs the mart: the lake's tickets and wins plus the players extract, through Ibis on one engine session.

DuckDB by default, PySpark on request (``MartOptions(engine="pyspark")``): the same expression over the same
Parquet files. Players reach the engine as the same Arrow extract the reports use (never DuckDB's
sqlite/postgres extensions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import Engine

from lottocrm.analytics.engine import ENGINES, open_engine
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.extracts import players_extract
from lottocrm.analytics.mart.record import COLUMNS, EpochSeconds, player_record, portable_epoch_seconds
from lottocrm.analytics.mart.rfm import RfmThresholds, quantile_levels, threshold_levels
from lottocrm.analytics.mart.segments import LifecycleThresholds, lifecycle_segment, migration_matrix
from lottocrm.analytics.time import start_of_day_utc
from lottocrm.lake.store import Lake

MART_COLUMNS = (*COLUMNS, "segment", "r_level", "f_level", "m_level")


@dataclass(frozen=True)
class MartOptions:
    timezone: str
    lifecycle: LifecycleThresholds = field(default_factory=LifecycleThresholds)
    rfm_levels: int = 5
    rfm_thresholds: RfmThresholds | None = None  # None: levels by quantile
    engine: str = "duckdb"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; choose one of {', '.join(ENGINES)}")


class MartBuilder:
    """Builds marts for any number of as-of dates over one connection and one players table.

    ``players`` has the columns of the reports' players extract (player_id, registered_at, region). ``spark``
    is an existing SparkSession to reuse with the pyspark engine (else a local one is started and stopped).
    """

    def __init__(self, *, lake: Lake, players: pa.Table, options: MartOptions, spark: Any = None) -> None:
        self._lake = lake
        self._options = options
        self._session = open_engine(options.engine, lake=lake, tables={"players": players}, spark=spark)
        self._backend = self._session.backend
        self._keys: tuple[list[int], list[str]] | None = None

    def close(self) -> None:
        self._session.close()

    def _games_and_channels(self) -> tuple[list[int], list[str]]:
        """Every game id and channel in the lake's tickets, ascending (the pivot's columns; ties go to the
        first). One cheap scan of two columns, once per builder."""
        if self._keys is None:
            tickets = self._backend.table("tickets")
            pairs = self._backend.to_pyarrow(tickets.select("game_id", "channel").distinct()).to_pydict()
            self._keys = (sorted(set(pairs["game_id"])), sorted(set(pairs["channel"])))
        return self._keys

    def check_as_of(self, as_of: dt.date, *, today: dt.date) -> None:
        """Refuse dates the mart cannot describe: after today, or before the first ticket."""
        if as_of > today:
            raise AnalyticsInputError(f"as-of date {as_of} is in the future (today is {today})")
        if self._lake.row_count("tickets") == 0:
            raise AnalyticsInputError(
                f"the lake at {self._lake.root} holds no tickets: import or simulate some first"
            )
        tickets = self._backend.table("tickets")
        first_sale = tickets.sold_at.min().to_pyarrow().as_py()
        if first_sale >= start_of_day_utc(as_of, self._options.timezone):
            raise AnalyticsInputError(
                f"as-of date {as_of} is before any data: the first ticket was sold on {first_sale:%Y-%m-%d}"
            )

    def expression(self, as_of: dt.date) -> ir.Table:
        games, channels = self._games_and_channels()
        return mart_expression(
            tickets=self._backend.table("tickets"),
            wins=self._backend.table("wins"),
            players=self._backend.table("players"),
            as_of=as_of,
            options=self._options,
            games=games,
            channels=channels,
            epoch_seconds=self._session.epoch_seconds,
        )

    def build(self, as_of: dt.date) -> pa.Table:
        return self._backend.to_pyarrow(self.expression(as_of).order_by("player_id"))

    def migration(self, earlier: dt.date, later: dt.date) -> pa.Table:
        before, after = (self.expression(day).select("player_id", "segment") for day in (earlier, later))
        matrix = migration_matrix(before, after)
        return self._backend.to_pyarrow(matrix.order_by("from_segment", "to_segment"))


def mart_expression(
    *,
    tickets: ir.Table,
    wins: ir.Table,
    players: ir.Table,
    as_of: dt.date,
    options: MartOptions,
    games: Sequence[int],
    channels: Sequence[str],
    epoch_seconds: EpochSeconds = portable_epoch_seconds,
) -> ir.Table:
    """The mart (``MART_COLUMNS``) as one Ibis expression over any backend's (or unbound) tables."""
    record = player_record(
        tickets=tickets,
        wins=wins,
        players=players,
        as_of=as_of,
        timezone=options.timezone,
        games=games,
        channels=channels,
        epoch_seconds=epoch_seconds,
    )
    levels = (
        quantile_levels(record, levels=options.rfm_levels)
        if options.rfm_thresholds is None
        else threshold_levels(record, options.rfm_thresholds)
    )
    return record.mutate(segment=lifecycle_segment(record, options.lifecycle), **levels).select(*MART_COLUMNS)


@contextmanager
def mart_builder(*, lake: Lake, engine: Engine, options: MartOptions) -> Iterator[MartBuilder]:
    builder = MartBuilder(lake=lake, players=players_extract(engine), options=options)
    try:
        yield builder
    finally:
        builder.close()
