"""Behaviour from the fact lake for segment conditions: tickets, spend, days played, wins and the last
purchase in a window (optionally of one game), whether a player played a draw, and campaign responders.

An audience stays one SQL statement on the store: before it is compiled, the (window, game) and draw specs the
segment names are aggregated in ONE DuckDB pass over the lake — the players with activity only, the window's
bounds pushed into the Parquet scan — and bulk-loaded into ``segment_behaviour`` under the frame's batch id,
which the compiled statement LEFT JOINs (no row: 0 tickets, no last purchase). Campaign responders are staged
the same way, from the campaign's own results (``marketing.reporting.service.responders``).

One player's values are read from the lake directly (the player's tickets and wins in the spec's span,
filtered on the player) and aggregated here in Python: the meaning the staged SQL must reproduce.

A window of the last N days is the operator days today−N+1 … today; a window between dates includes both.
Days played count the operator's calendar days with a ticket.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.catalog.models import Draw
from lottocrm.db.bulk import insert_rows
from lottocrm.lake.store import Lake
from lottocrm.marketing.segments.conditions import Condition
from lottocrm.marketing.segments.evaluate import ValueKey, value_key
from lottocrm.marketing.segments.models import SegmentBehaviour

# Staged batches older than this are deleted when a new one is staged (a frame lives for one transaction).
KEEP_BATCHES = dt.timedelta(days=1)
FETCH_ROWS = 100_000
COLUMNS = (
    "batch",
    "spec",
    "player_id",
    "tickets",
    "spend_kopecks",
    "days",
    "last_sold_at",
    "wins",
    "wins_kopecks",
    "staged_at",
)
MOMENT_TEXT = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True)
class Spec:
    """What the lake is asked for one condition: tickets sold in [low, high) (low None: from the start),
    of ``game`` (None: any); or, with ``draws`` set, tickets for those draws; or, with ``campaign`` set, that
    campaign's responders."""

    low: dt.datetime | None = None
    high: dt.datetime | None = None
    game: int | None = None
    draws: tuple[int, ...] | None = None
    campaign: int | None = None


def window_days(params: dict[str, Any], today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last operator day of a window parameter set."""
    if "days" in params:
        return today - dt.timedelta(days=params["days"] - 1), today
    return params["from"], params["to"]


def spec_of(session: Session, condition: Condition, today: dt.date) -> Spec:
    params = dict(condition.params)
    if condition.spec.source == "responses":
        return Spec(campaign=params["campaign"])
    if condition.spec.param_rule == "draw":
        return Spec(draws=draw_ids(session, params["game"], params.get("number"), params.get("on")))
    first, last = window_days(params, today)
    return Spec(clock.day_bounds(first)[0], clock.day_bounds(last)[1], params.get("game"))


def draw_ids(session: Session, game: int, number: int | None, on: dt.date | None) -> tuple[int, ...]:
    """The draws of ``game`` with that number, or held on that operator day (the New Year draw: Русское
    лото on 1 January)."""
    query = select(Draw.id).where(Draw.game_id == game)
    if number is not None:
        query = query.where(Draw.number == number)
    else:
        assert on is not None
        start, end = clock.day_bounds(on)
        query = query.where(Draw.draw_at >= start, Draw.draw_at < end)
    return tuple(sorted(session.scalars(query)))


# ---- an audience: stage every spec in one pass ------------------------------------------------------------
def stage(session: Session, lake: Lake, batch: str, specs: dict[Spec, int]) -> None:
    """Aggregate ``specs`` (spec → its number in the batch) over the lake; load the rows under ``batch``."""
    now = clock.now()
    session.execute(delete(SegmentBehaviour).where(SegmentBehaviour.staged_at < now - KEEP_BATCHES))
    dialect = session.get_bind().dialect.name
    lake_specs = {spec: number for spec, number in specs.items() if spec.campaign is None}
    # The moments travel as text in the column's own form (DuckDB formats the last purchase), so no Python
    # datetime is built per staged row: SQLite holds SQLAlchemy's naive UTC text, PostgreSQL reads "+00".
    suffix = "+00" if dialect == "postgresql" else ""
    staged_at = now.astimezone(dt.UTC).strftime(MOMENT_TEXT) + suffix
    if lake_specs:
        for chunk in _aggregate(lake, lake_specs):
            _load(
                session,
                [
                    (batch, spec, player, tickets, spend, days, last and last + suffix, wins, won, staged_at)
                    for spec, player, tickets, spend, days, last, wins, won in chunk
                ],
            )
    for spec, number in specs.items():
        if spec.campaign is not None:
            from lottocrm.marketing.reporting.service import responders

            found = sorted(responders(session, campaign_id=spec.campaign, lake=lake))
            _load(session, [(batch, number, player, 1, 0, 0, None, 0, 0, staged_at) for player in found])


def _load(session: Session, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        insert_rows(session, "segment_behaviour", COLUMNS, rows)


def _span(specs: Iterable[Spec]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The span every spec's tickets fall in, pushed into the scan (None: unbounded on that side)."""
    specs = list(specs)
    if not specs:
        return None, None
    lows = [spec.low for spec in specs]
    highs = [spec.high for spec in specs]
    low = None if None in lows else min(lows)  # type: ignore[type-var]
    high = None if None in highs else max(highs)  # type: ignore[type-var]
    return low, high


def _filter(spec: Spec, number: int, moment: str, params: dict[str, Any]) -> str:
    if spec.draws is not None:
        return f"draw_id IN ({', '.join(str(int(d)) for d in spec.draws)})" if spec.draws else "false"
    parts = [f"{moment} >= $low{number}", f"{moment} < $high{number}"]
    params[f"low{number}"], params[f"high{number}"] = spec.low, spec.high
    if spec.game is not None:
        parts.append(f"game_id = $game{number}")
        params[f"game{number}"] = spec.game
    return " AND ".join(parts)


def _aggregate(lake: Lake, specs: dict[Spec, int]) -> Iterable[list[tuple[Any, ...]]]:
    """(spec, player, tickets, spend, days, last sold at, wins, amount won) per player with activity."""
    params: dict[str, Any] = {}
    low, high = _span(spec for spec in specs if spec.draws is None)
    local_day = _local_day(low, high, params)
    draws = sorted({draw for spec in specs for draw in spec.draws or ()})
    bounds = []
    if low is not None:
        bounds.append("{m} >= $span_low")
        params["span_low"] = low
    if high is not None:
        bounds.append("{m} < $span_high")
        params["span_high"] = high
    parts = []
    for spec, number in specs.items():
        where = _filter(spec, number, "sold_at", params)
        parts.append(
            f"SELECT {number} AS spec, player_id, count(*) AS tickets, sum(price_kopecks) AS spend, "
            f"count(DISTINCT {local_day}) AS days, max(sold_at) AS last, "
            f"0 AS wins, 0 AS won FROM {'t' if spec.draws is None else 'd'} WHERE {where} GROUP BY player_id"
        )
        if spec.draws is None:
            where = _filter(spec, number, "won_at", params)
            parts.append(
                f"SELECT {number}, player_id, 0, 0, 0, NULL, count(*), sum(amount_kopecks) "
                f"FROM w WHERE {where} GROUP BY player_id"
            )
    ticket_bounds = "".join(" AND " + b.format(m="sold_at") for b in bounds)
    win_bounds = "".join(" AND " + b.format(m="won_at") for b in bounds)
    query = (
        "WITH t AS (SELECT player_id, game_id, draw_id, price_kopecks, sold_at FROM tickets "
        f"WHERE player_id IS NOT NULL{ticket_bounds}), "
        "w AS (SELECT player_id, game_id, amount_kopecks, won_at FROM wins "
        f"WHERE player_id IS NOT NULL{win_bounds}), "
        # Tickets of the named draws: no time bound (a draw's sales start weeks before it), the draw ids only.
        "d AS (SELECT player_id, game_id, draw_id, price_kopecks, sold_at FROM tickets "
        f"WHERE player_id IS NOT NULL AND draw_id IN ({', '.join(map(str, draws)) or 'NULL'})) "
        "SELECT spec, player_id, sum(tickets)::BIGINT, sum(spend)::BIGINT, sum(days)::INTEGER, "
        f"strftime(max(last), '{MOMENT_TEXT}'), "
        "sum(wins)::BIGINT, sum(won)::BIGINT FROM ("
        + " UNION ALL ".join(parts)
        + ") GROUP BY spec, player_id"
    )
    connection = lake.connect(duckdb.connect())
    try:
        cursor = connection.execute(query, params)
        while chunk := cursor.fetchmany(FETCH_ROWS):
            yield chunk
    finally:
        connection.close()


def _local_day(low: dt.datetime | None, high: dt.datetime | None, params: dict[str, Any]) -> str:
    """The DuckDB expression of a ticket's operator day. Where the zone keeps one UTC offset over the whole
    span (Moscow since 2014) it is integer arithmetic on the moment, several times faster than a time-zone
    conversion per ticket; otherwise the conversion (ICU), exact across a change of offset."""
    zone = clock.operator_zone()
    if low is not None and high is not None:
        first, last = clock.local(low).date(), clock.local(high).date()
        offsets = {
            clock.day_bounds(first + dt.timedelta(days=n))[0].astimezone(zone).utcoffset()
            for n in range((last - first).days + 1)
        }
        if len(offsets) == 1:
            offset = offsets.pop()
            assert offset is not None
            params["offset_us"] = int(offset.total_seconds()) * 1_000_000
            return "((epoch_us(sold_at) + $offset_us) // 86400000000)"
    params["tz"] = zone.key
    return "(sold_at AT TIME ZONE $tz)::DATE"


def staged_rows(session: Session, batch: str) -> int:
    return int(session.scalar(select(func.count()).where(SegmentBehaviour.batch == batch)) or 0)


# ---- one player: read the lake directly, aggregate here ---------------------------------------------------
def player_values(
    session: Session, lake: Lake, leaves: Sequence[Condition], player_id: int, today: dt.date
) -> dict[ValueKey, Any]:
    """The player's value of every behaviour or response condition in ``leaves``."""
    specs = {value_key(leaf): (leaf, spec_of(session, leaf, today)) for leaf in leaves}
    lake_specs = [spec for _leaf, spec in specs.values() if spec.campaign is None]
    tickets, wins = _player_facts(lake, player_id, lake_specs) if lake_specs else ([], [])
    values: dict[ValueKey, Any] = {}
    for key, (leaf, spec) in specs.items():
        if spec.campaign is not None:
            from lottocrm.marketing.reporting.service import responders

            found = responders(session, campaign_id=spec.campaign, lake=lake, player_id=player_id)
            values[key] = player_id in found
        elif spec.draws is not None:
            values[key] = any(draw in spec.draws for _game, draw, _price, _sold in tickets)
        else:
            values[key] = _measure(spec, tickets, wins)[leaf.spec.column]
    return values


def _inside(spec: Spec, game: int, at: dt.datetime) -> bool:
    assert spec.low is not None and spec.high is not None
    return spec.low <= at < spec.high and (spec.game is None or game == spec.game)


def _measure(spec: Spec, tickets: list[tuple[Any, ...]], wins: list[tuple[Any, ...]]) -> dict[str, Any]:
    bought = [(price, sold) for game, _draw, price, sold in tickets if _inside(spec, game, sold)]
    won = [amount for game, amount, at in wins if _inside(spec, game, at)]
    return {
        "tickets": len(bought),
        "spend_kopecks": sum(price for price, _sold in bought),
        "days": len({clock.local(sold).date() for _price, sold in bought}),
        "last_sold_at": max((sold for _price, sold in bought), default=None),
        "wins": len(won),
        "wins_kopecks": sum(won),
    }


def _player_facts(
    lake: Lake, player_id: int, specs: Sequence[Spec]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    low, high = _span(spec for spec in specs if spec.draws is None)
    params: dict[str, Any] = {"player": player_id}
    bounds = ""
    if any(spec.draws is not None for spec in specs):
        low = high = None  # one player's every ticket: a draw's sales have no bound here
    if low is not None:
        bounds += " AND {m} >= $low"
        params["low"] = low
    if high is not None:
        bounds += " AND {m} < $high"
        params["high"] = high
    connection = lake.connect(duckdb.connect())
    try:
        tickets = connection.execute(
            "SELECT game_id, draw_id, price_kopecks, sold_at FROM tickets WHERE player_id = $player"
            + bounds.format(m="sold_at"),
            params,
        ).fetchall()
        wins = connection.execute(
            "SELECT game_id, amount_kopecks, won_at FROM wins WHERE player_id = $player"
            + bounds.format(m="won_at"),
            params,
        ).fetchall()
    finally:
        connection.close()
    return tickets, wins
