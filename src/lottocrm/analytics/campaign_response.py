"""What each member of a campaign did in the lake: responded or not, spend in the response window, and spend
in the same-length pre-period (the CUPED covariate) — one DuckDB query over the tickets' Parquet files.

The members arrive as an Arrow table (the operational store cannot be attached to DuckDB here: its sqlite and
postgres extensions cannot be downloaded), so the whole audience is one join, never a loop per player. Each
member row is measured from its own ``assigned_at`` (send time for the treated, choice time for the control),
so runs launched at different moments, and both arms, share one definition of the window:

    response window  [assigned_at, assigned_at + window_days)
    pre-period       [assigned_at − window_days, assigned_at)

A day is 24 hours (the lake's clock is UTC). ``responded`` is a purchase of ``game_id`` (any game when None)
in the window, or — for a loyalty-enrolment response — the member's ``enrolled_at`` inside it. ``spend`` and
``pre_spend`` count every game: the campaign's incremental revenue includes what it moved between games.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.lake.store import Lake

RESPONSE_KINDS = ("purchase", "loyalty_enrolment")
_MEMBER_COLUMNS = {"member": pa.int64(), "player_id": pa.int64(), "assigned_at": pa.timestamp("us", tz="UTC")}
RESULT_SCHEMA = pa.schema(
    [
        pa.field("member", pa.int64(), nullable=False),
        pa.field("responded", pa.bool_(), nullable=False),
        pa.field("spend", pa.int64(), nullable=False),
        pa.field("pre_spend", pa.int64(), nullable=False),
    ]
)

# Tickets are first cut to the span every member's windows fall in (row groups outside it are skipped on
# their sold_at statistics) and to the members' players, then joined on player and time.
_QUERY = """
WITH t AS (
    SELECT player_id, game_id, price_kopecks, sold_at
    FROM tickets
    WHERE player_id IS NOT NULL AND sold_at >= $low AND sold_at < $high
      AND player_id IN (SELECT player_id FROM members)
),
per_member AS (
    SELECT
        m.member,
        bool_or(t.sold_at >= m.assigned_at AND ($game::INTEGER IS NULL OR t.game_id = $game)) AS bought,
        sum(CASE WHEN t.sold_at >= m.assigned_at THEN t.price_kopecks ELSE 0 END) AS spend,
        sum(CASE WHEN t.sold_at < m.assigned_at THEN t.price_kopecks ELSE 0 END) AS pre_spend
    FROM members m
    JOIN t ON t.player_id = m.player_id
      AND t.sold_at >= m.assigned_at - to_days($days::INTEGER)
      AND t.sold_at < m.assigned_at + to_days($days::INTEGER)
    GROUP BY m.member
)
SELECT
    m.member,
    CASE WHEN $enrolment THEN coalesce(
            m.enrolled_at >= m.assigned_at AND m.enrolled_at < m.assigned_at + to_days($days::INTEGER), false)
         ELSE coalesce(p.bought, false) END AS responded,
    coalesce(p.spend, 0)::BIGINT AS spend,
    coalesce(p.pre_spend, 0)::BIGINT AS pre_spend
FROM members m LEFT JOIN per_member p USING (member)
ORDER BY m.member
"""


def campaign_responses(
    *,
    lake: Lake,
    members: pa.Table,
    window_days: int,
    game_id: int | None = None,
    response_kind: str = "purchase",
    threads: int | None = None,
) -> pa.Table:
    """One row per row of ``members`` (``member``, ``player_id``, ``assigned_at``; ``enrolled_at`` for a
    loyalty-enrolment response), in ``member`` order: ``member``, ``responded``, ``spend``, ``pre_spend``."""
    members = _checked(members, window_days=window_days, response_kind=response_kind)
    if members.num_rows == 0:
        return RESULT_SCHEMA.empty_table()
    if "enrolled_at" not in members.column_names:
        members = members.append_column(
            "enrolled_at", pa.nulls(members.num_rows, _MEMBER_COLUMNS["assigned_at"])
        )
    earliest, latest = (value.as_py() for value in pc.min_max(members["assigned_at"]).values())
    span = dt.timedelta(days=window_days)
    connection = lake.connect(duckdb.connect())
    try:
        if threads is not None:
            connection.execute(f"SET threads = {int(threads)}")
        connection.register("members", members)
        result = connection.sql(
            _QUERY,
            params={
                "low": earliest - span,
                "high": latest + span,
                "days": window_days,
                "game": game_id,
                "enrolment": response_kind == "loyalty_enrolment",
            },
        ).to_arrow_table()
    finally:
        connection.close()
    return result.cast(RESULT_SCHEMA)


def latest_sale(lake: Lake) -> dt.datetime | None:
    """When the newest ticket in the lake was sold (None for an empty lake): how far the lake has been loaded,
    so a report can tell a response window the lake does not cover yet from one where nobody bought."""
    connection = lake.connect(duckdb.connect())
    try:
        latest = (
            connection.sql("SELECT max(sold_at) AS latest FROM tickets").to_arrow_table()["latest"][0].as_py()
        )
    finally:
        connection.close()
    return latest.astimezone(dt.UTC) if latest is not None else None


def _checked(members: pa.Table, *, window_days: int, response_kind: str) -> pa.Table:
    if response_kind not in RESPONSE_KINDS:
        raise AnalyticsInputError(
            f"unknown response kind {response_kind!r}; known: {', '.join(RESPONSE_KINDS)}"
        )
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 1:
        raise AnalyticsInputError(f"the response window is a whole number of days ≥ 1, got {window_days!r}")
    missing = [name for name in _MEMBER_COLUMNS if name not in members.column_names]
    if missing:
        raise AnalyticsInputError(f"campaign members lack the column(s) {', '.join(missing)}")
    if response_kind == "loyalty_enrolment" and "enrolled_at" not in members.column_names:
        raise AnalyticsInputError("a loyalty-enrolment response needs each member's enrolled_at")
    names = [*_MEMBER_COLUMNS, *(["enrolled_at"] if "enrolled_at" in members.column_names else [])]
    types = {**_MEMBER_COLUMNS, "enrolled_at": _MEMBER_COLUMNS["assigned_at"]}
    try:
        return members.select(names).cast(pa.schema([pa.field(name, types[name]) for name in names]))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise AnalyticsInputError(f"campaign members do not fit their schema: {error}") from None
