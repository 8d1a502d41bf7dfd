"""RFM levels: recency, frequency and monetary value cut into 3–5 levels per axis (5 = best).

The data-mining tools the operator uses work on levels such as "high / medium / low", not raw sums. Levels
are by quantile among buyers (default; ties share a level, so a mass of one-off buyers stays in one level)
or by business thresholds. Players without a purchase get no levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

MIN_LEVELS, MAX_LEVELS = 3, 5


@dataclass(frozen=True)
class RfmThresholds:
    """Ascending cut points, one fewer than the levels on that axis.

    Recency: a player whose recency is at most the k-th smallest cut gets a higher level (recent = best);
    frequency and monetary: at least the cut → higher level.
    """

    recency_days: tuple[int, ...]
    frequency: tuple[int, ...]
    monetary_kopecks: tuple[int, ...]

    def __post_init__(self) -> None:
        for name in ("recency_days", "frequency", "monetary_kopecks"):
            cuts = getattr(self, name)
            if not MIN_LEVELS - 1 <= len(cuts) <= MAX_LEVELS - 1 or list(cuts) != sorted(set(cuts)):
                raise ValueError(
                    f"{name}: {MIN_LEVELS - 1}–{MAX_LEVELS - 1} strictly ascending cut points, got {cuts}"
                )


def _check_levels(levels: int) -> None:
    if not MIN_LEVELS <= levels <= MAX_LEVELS:
        raise ValueError(f"RFM levels must be {MIN_LEVELS}–{MAX_LEVELS} per axis, got {levels}")


def _quantile_level(value: ir.NumericValue, *, bought: ir.BooleanValue, levels: int) -> ir.IntegerValue:
    # percent_rank as (rank - 1) / (n - 1): ClickHouse's Ibis compiler lacks percent_rank; same doubles.
    window = ibis.window(group_by=bought, order_by=value)
    others = value.count().over(ibis.window(group_by=bought)) - 1
    rank = ibis.ifelse(
        others > 0, ibis.rank().over(window).cast("float64") / others.cast("float64"), ibis.literal(0.0)
    )
    level = (rank * levels).floor().cast("int32") + 1
    return ibis.ifelse(bought, ibis.least(level, levels), ibis.null("int32")).cast("int16")


def quantile_levels(record: ir.Table, *, levels: int = 5) -> dict[str, ir.IntegerValue]:
    """r/f/m levels by quantile among buyers; recency is ranked with the most recent at the top."""
    _check_levels(levels)
    bought = record.frequency > 0
    return {
        "r_level": _quantile_level(-record.recency_days, bought=bought, levels=levels),
        "f_level": _quantile_level(record.frequency, bought=bought, levels=levels),
        "m_level": _quantile_level(record.monetary_kopecks, bought=bought, levels=levels),
    }


def _count_passed(conditions: list[ir.BooleanValue]) -> ir.IntegerValue:
    return sum((c.cast("int16") for c in conditions), ibis.literal(1, type="int16"))


def threshold_levels(record: ir.Table, thresholds: RfmThresholds) -> dict[str, ir.IntegerValue]:
    """r/f/m levels by the business's own cut points."""
    bought = record.frequency > 0
    recency = _count_passed([record.recency_days <= cut for cut in thresholds.recency_days])
    frequency = _count_passed([record.frequency >= cut for cut in thresholds.frequency])
    monetary = _count_passed([record.monetary_kopecks >= cut for cut in thresholds.monetary_kopecks])
    return {
        name: ibis.ifelse(bought, level, ibis.null("int16"))
        for name, level in (("r_level", recency), ("f_level", frequency), ("m_level", monetary))
    }
