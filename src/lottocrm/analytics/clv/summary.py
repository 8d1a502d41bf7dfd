"""The customer summary the CLV models read, computed by the analytics engine from a transaction log.

Per customer, over a calibration period ending on ``calibration_end`` (inclusive):

- ``x``: repeat transactions after the first. On the lake a transaction is a *visit*: the tickets a player
  bought within one clock minute (a basket at the till or one online checkout). The CDNOW convention of one
  transaction per day (``Transaction.DAY``) undercounts lottery players, who often buy twice a day: on the
  simulator's data it lowers the fitted purchase rate r/α by ~20 % (docs/analytics-clv.md);
- ``t_x``: weeks from the first to the last purchase day; ``T``: weeks from the first purchase day to the end
  (times stay in whole local days, so players share rows and the fits collapse them);
- ``monetary``: mean value of the repeat transactions (the first one is left out, as Gamma-Gamma expects),
  null for one-off buyers;
- with a holdout, ``x_holdout``: transactions in (calibration_end, holdout_end].

Dates are counted as whole days since 1970-01-01 ("day numbers"), which every engine handles the same way.
One Ibis expression (``summary_expression``) does the work for both the lake (DuckDB today, Spark later) and
an in-memory log such as the CDNOW sample (the reference tests feed it daily rows), so the reference check
exercises exactly the code that runs on tickets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

import ibis
import pandas as pd

from lottocrm import clock
from lottocrm.analytics.time import SECONDS_PER_DAY, day_number, day_of_number
from lottocrm.lake.store import Lake

SECONDS_PER_MINUTE = 60
DAYS_PER_WEEK = 7.0
COLUMNS = ["customer_id", "x", "t_x", "T", "monetary"]


@dataclass(frozen=True)
class TicketSpan:
    """First and last local purchase day of registered players' tickets; None when there are none."""

    first: dt.date | None
    last: dt.date | None


class Transaction(StrEnum):
    """What counts as one purchase: a visit (tickets within one clock minute) or a whole local day."""

    VISIT = "visit"
    DAY = "day"


def transactions(tickets: ibis.Table, *, utc_offset_seconds: int, transaction: Transaction) -> ibis.Table:
    """Registered players' tickets merged into transactions: (customer_id, day, moment, spend in kopecks).

    ``moment`` orders a customer's transactions (the minute, or the day); ``day`` is the local purchase day.
    Purchase days are local to the operator: a ticket bought at 01:00 Moscow time belongs to that Moscow
    day, not to the previous UTC day. A fixed offset keeps the expression portable across engines; it is
    exact for zones without daylight saving (Europe/Moscow has none since 2014).
    """
    registered = tickets.filter(tickets.player_id.notnull())
    local_seconds = registered.sold_at.epoch_seconds() + utc_offset_seconds
    unit = SECONDS_PER_MINUTE if transaction is Transaction.VISIT else SECONDS_PER_DAY
    merged = registered.group_by(
        customer_id=registered.player_id, moment=(local_seconds // unit).cast("int64")
    ).aggregate(spend=registered.price_kopecks.sum().cast("float64"))
    return merged.mutate(day=(merged.moment * unit // SECONDS_PER_DAY).cast("int64"))


def summary_expression(
    merged: ibis.Table, *, calibration_end_day: int, holdout_end_day: int | None = None
) -> ibis.Table:
    """(customer_id, x, t_x, T, monetary[, x_holdout]) from transactions (customer_id, day, moment, spend)."""
    calibration = merged.filter(merged.day <= calibration_end_day)
    per_customer = calibration.group_by("customer_id").aggregate(
        first_day=calibration.day.min(),
        last_day=calibration.day.max(),
        transactions=calibration.count(),
        total_spend=calibration.spend.sum(),
        first_spend=calibration.spend.argmin(calibration.moment),
    )
    repeats = per_customer.transactions - 1
    summary = per_customer.select(
        "customer_id",
        x=repeats,
        t_x=(per_customer.last_day - per_customer.first_day) / DAYS_PER_WEEK,
        T=(calibration_end_day - per_customer.first_day) / DAYS_PER_WEEK,
        monetary=ibis.ifelse(
            repeats > 0, (per_customer.total_spend - per_customer.first_spend) / repeats, ibis.null("float64")
        ),
    )
    if holdout_end_day is None:
        return summary.order_by("customer_id")
    later = merged.filter((merged.day > calibration_end_day) & (merged.day <= holdout_end_day))
    holdout = later.group_by(holdout_customer=later.customer_id).aggregate(x_holdout=later.count())
    joined = summary.left_join(holdout, summary.customer_id == holdout.holdout_customer)
    return joined.select(*COLUMNS, x_holdout=joined.x_holdout.fill_null(0)).order_by("customer_id")


def summarise(
    merged: ibis.Table,
    backend: ibis.BaseBackend,
    *,
    calibration_end: dt.date,
    holdout_end: dt.date | None = None,
) -> pd.DataFrame:
    """The summary of transactions (customer_id, day, moment, spend) run on ``backend``, as a frame."""
    expression = summary_expression(
        merged,
        calibration_end_day=day_number(calibration_end),
        holdout_end_day=None if holdout_end is None else day_number(holdout_end),
    )
    frame = backend.to_pyarrow(expression).to_pandas()
    return frame.astype({"x": "int64", **({"x_holdout": "int64"} if "x_holdout" in frame else {})})


def utc_offset_seconds(timezone: str, on: dt.date) -> int:
    """The zone's offset from UTC at noon on ``on`` (the calibration end is the day that matters most)."""
    noon = dt.datetime.combine(on, dt.time(12), tzinfo=ZoneInfo(timezone))
    offset = noon.utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


class LakeSummary:
    """Customer summaries over the lake's tickets, run by DuckDB through Ibis."""

    def __init__(self, lake: Lake, *, timezone: str, transaction: Transaction = Transaction.VISIT) -> None:
        self._backend = ibis.duckdb.from_connection(lake.connect())
        self._tickets = self._backend.table("tickets")
        self._timezone = timezone
        self._transaction = transaction

    def _transactions(self, on: dt.date) -> ibis.Table:
        return transactions(
            self._tickets,
            utc_offset_seconds=utc_offset_seconds(self._timezone, on),
            transaction=self._transaction,
        )

    def span(self) -> TicketSpan:
        """The local days of the first and last registered player's ticket."""
        daily = self._transactions(clock.operator_day())
        row = self._backend.to_pyarrow(
            daily.aggregate(first=daily.day.min(), last=daily.day.max())
        ).to_pylist()[0]
        if row["first"] is None:
            return TicketSpan(first=None, last=None)
        return TicketSpan(first=day_of_number(int(row["first"])), last=day_of_number(int(row["last"])))

    def summarise(self, *, calibration_end: dt.date, holdout_end: dt.date | None = None) -> pd.DataFrame:
        return summarise(
            self._transactions(calibration_end),
            self._backend,
            calibration_end=calibration_end,
            holdout_end=holdout_end,
        )
