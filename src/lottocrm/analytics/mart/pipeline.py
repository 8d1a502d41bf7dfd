"""The analytical record's workflows over the lake and the store, for ``lottocrm mart``, ``lottocrm segments
migration`` and the demo: build, check, write back (each as-of date in its own transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pyarrow as pa
from sqlalchemy import Engine

from lottocrm import clock
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.mart.build import MartOptions, mart_builder
from lottocrm.analytics.mart.writeback import replace_snapshot
from lottocrm.audit import service as audit
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake

# Told the name of each step as it starts, for a progress bar.
OnStep = Callable[[str], None]


def write_records(
    engine: Engine,
    *,
    lake: Lake,
    options: MartOptions,
    days: Sequence[dt.date],
    actor: Actor,
    today: dt.date | None = None,
    on_step: OnStep | None = None,
) -> dict[dt.date, pa.Table]:
    """Build the record as of each of ``days`` and replace that date's rows in ``player_analytics``; every
    date is checked before anything is built. Returns each date's mart as written."""
    step = on_step or (lambda _message: None)
    written: dict[dt.date, pa.Table] = {}
    with mart_builder(lake=lake, engine=engine, options=options) as builder:
        for day in days:
            builder.check_as_of(day, today=today or clock.operator_day())
        for day in days:
            step(f"building the mart as of {day}")
            written[day] = builder.build(day)
            step(f"writing player_analytics as of {day}")
            with transaction(engine) as session:
                replace_snapshot(session, as_of=day, mart=written[day])
                audit.record(
                    session,
                    actor=actor,
                    action="analytics.record.write",
                    detail={"as_of": day.isoformat(), "players": written[day].num_rows},
                )
    return written


def migration_between(
    engine: Engine,
    *,
    lake: Lake,
    timezone: str,
    earlier: dt.date,
    later: dt.date,
    today: dt.date | None = None,
) -> pa.Table:
    """(from_segment, to_segment, players) between two as-of dates, each built from the lake."""
    if later <= earlier:
        raise AnalyticsInputError(f"--to {later} must be after --from {earlier}")
    with mart_builder(lake=lake, engine=engine, options=MartOptions(timezone=timezone)) as builder:
        for day in (earlier, later):
            builder.check_as_of(day, today=today or clock.operator_day())
        return builder.migration(earlier, later)
