"""The contactability rows computed in SQL, one statement per range of players: what ``standing.rebuild``
and a refresh of many players use. ``standing._row`` stays the definition: a test holds the two to the same
rows column by column (tests/contact_policy/test_standing_sql.py).

Each range is an ``INSERT … SELECT … ON CONFLICT DO UPDATE``: the latest consent events per purpose and
channel and the contact point per kind by window functions, the cap ledger's L-th latest touch per rule by
player and by contact point, all folded into the row as ``_row`` does. Two things stay in Python:

- the operator's calendar: the start of the day a player turns 18 and the end of an exclusion's or a
  spending limit's last day are ``clock.day_bounds`` of the range's distinct dates, joined from a temporary
  table, so a DST day or a zone's history is the clock's, not a second copy of it in SQL;
- the policy: its cap rules become columns of the statement (one statement per dialect and policy).

SQLite keeps moments as naive UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (``standing._sqlite_stamp``); the cap
arithmetic there runs in integer microseconds and is written back in that text, so what SQL writes compares
and reads back as what Python writes.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    MetaData,
    Table,
    TextClause,
    bindparam,
    func,
    insert,
    select,
    text,
    union,
)
from sqlalchemy.schema import CreateTable, DropTable

from lottocrm import clock
from lottocrm.contact_policy.document import LONGEST_WINDOW, WINDOWS, CapRule, PolicySettings
from lottocrm.contact_policy.models import contactability
from lottocrm.contact_policy.standing import (
    ALWAYS,
    CHANNELS,
    IDENTITY_OF_CHANNEL,
    NEVER,
    POINT_KINDS,
    adult_on,
)
from lottocrm.db.base import UtcDateTime
from lottocrm.players.models import Player, ResponsibleGaming

# Players per statement: enough that a statement's fixed costs vanish (50 000 and 200 000 are no faster on
# PostgreSQL), few enough that its memory stays bounded and progress moves.
CHUNK = 100_000
Progress = Callable[[int, int], None]

_temporary = MetaData()
# The operator's days the range needs: a birth date's 18th-birthday start, and a day's end.
_DAYS = Table(
    "contactability_days",
    _temporary,
    Column("day", Date, primary_key=True),
    Column("adult_from", UtcDateTime),
    Column("day_end", UtcDateTime),
    prefixes=["TEMPORARY"],
)
# The players of a refresh whose ids do not fill their range.
_SCOPE = Table(
    "contactability_scope",
    _temporary,
    Column("player_id", BigInteger, primary_key=True),
    prefixes=["TEMPORARY"],
)


class _Dialect:
    """What differs between the dialects: on PostgreSQL moments are ``timestamptz``; on SQLite naive UTC
    text, turned into integer microseconds for the cap arithmetic."""

    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"

    @property
    def no_moment(self) -> str:
        # A bare NULL in a subquery is text to PostgreSQL, which a timestamptz column refuses.
        return "NULL" if self.sqlite else "CAST(NULL AS TIMESTAMP WITH TIME ZONE)"

    def touch_time(self, moment: str) -> str:
        if not self.sqlite:
            return moment
        return (
            f"(CAST(strftime('%s', substr({moment}, 1, 19)) AS INTEGER) * 1000000"
            f" + CAST(substr({moment}, 21, 6) AS INTEGER))"
        )

    def cap_end(self, latest: str, window: dt.timedelta) -> str:
        """The L-th latest touch plus the window plus a microsecond (``standing.cap_ends``)."""
        seconds = int(window.total_seconds())
        if self.sqlite:
            return f"({self.touch_time(latest)} + {seconds * 1_000_000 + 1})"
        return f"({latest} + INTERVAL '{seconds} seconds' + INTERVAL '1 microsecond')"

    def greatest_cap(self, ends: list[str]) -> str:
        if not ends:
            return self.no_moment
        if len(ends) == 1:
            return ends[0]
        if self.sqlite:
            # SQLite's max() of several values is NULL if one is: a rule not reached counts as -1.
            return f"NULLIF(max({', '.join(f'COALESCE({end}, -1)' for end in ends)}), -1)"
        return f"GREATEST({', '.join(ends)})"

    def cap_stamp(self, value: str) -> str:
        """A cap end as the column stores it."""
        if not self.sqlite:
            return value
        return (
            f"(strftime('%Y-%m-%d %H:%M:%S', {value} / 1000000, 'unixepoch')"
            f" || '.' || printf('%06d', {value} % 1000000))"
        )

    def latest_moment(self, moments: list[str]) -> str:
        """The latest of ``:always`` and ``moments``, NULLs left out."""
        if self.sqlite:
            return f"max(:always, {', '.join(f'COALESCE({moment}, :always)' for moment in moments)})"
        return f"GREATEST(:always, {', '.join(moments)})"


def _point_of(channel: str) -> str:
    kind = IDENTITY_OF_CHANNEL.get(channel)
    return f"i.{kind}" if kind else "('player:' || CAST(p.id AS TEXT))"


def _latest_touch_cte(name: str, source: str, key: str, rules: list[tuple[int, CapRule]]) -> str:
    """Per ``key`` (a player or a contact point) the L-th latest touch of each rule, column ``c<rule>``."""
    columns = []
    for number, rule in rules:
        if rule.channel == "all":
            columns.append(f"max(CASE WHEN n_all = {rule.limit} THEN at END) AS c{number}")
        else:
            columns.append(
                f"max(CASE WHEN channel = '{rule.channel}' AND n_channel = {rule.limit} THEN at END)"
                f" AS c{number}"
            )
    return f"""{name} AS (
    SELECT {key}, {", ".join(columns)}
    FROM (SELECT t.{key}, t.channel, t.at,
                 ROW_NUMBER() OVER (PARTITION BY t.{key} ORDER BY t.at DESC) AS n_all,
                 ROW_NUMBER() OVER (PARTITION BY t.{key}, t.channel ORDER BY t.at DESC) AS n_channel
          FROM {source}) AS t
    GROUP BY {key})"""


@lru_cache(maxsize=16)
def _statement(dialect_name: str, policy: PolicySettings, scoped: bool) -> str:
    """The upsert of the rows of players ``:lo``–``:hi`` (only those in ``contactability_scope`` if
    ``scoped``) under ``policy``. Rule channels and limits are written into the text: the policy document
    validated them (channels from a closed list, limits integers), and they shape the statement."""
    sql = _Dialect(dialect_name)
    rules = list(enumerate(policy.caps)) if policy.capped_classes else []
    by_player = [(n, rule) for n, rule in rules if rule.per == "player"]
    by_point = [(n, rule) for n, rule in rules if rule.per == "contact_point"]
    pointed = [c for c in CHANNELS if any(rule.channel in (c, "all") for _, rule in by_point)]
    in_range = "BETWEEN :lo AND :hi"

    ctes = [
        f"""i AS (
    SELECT player_id, {", ".join(f"max(CASE WHEN kind = '{k}' THEN value END) AS {k}" for k in POINT_KINDS)}
    FROM (SELECT player_id, kind, value,
                 ROW_NUMBER() OVER (PARTITION BY player_id, kind
                                    ORDER BY verified DESC, created_at DESC, id DESC) AS n
          FROM player_identities
          WHERE player_id {in_range} AND kind IN ({", ".join(f"'{k}'" for k in POINT_KINDS)})) AS ranked
    WHERE n = 1
    GROUP BY player_id)"""
    ]
    # Each row of ``ranked`` is the latest event of its purpose and channel; ``slot`` numbers the pairs so
    # that the pivot's 33 aggregates compare integers, not strings.
    pairs = [(purpose, channel) for channel in CHANNELS for purpose in ("advertising", "service")]
    slot = " ".join(
        f"WHEN purpose = '{purpose}' AND channel = '{channel}' THEN {number}"
        for number, (purpose, channel) in enumerate(pairs)
    )
    pivot = [("n_purpose = 1 AND purpose = 'personal_data'", "pd")] + [
        (f"slot = {number}", f"{channel}_{'consent' if purpose == 'advertising' else 'service'}")
        for number, (purpose, channel) in enumerate(pairs)
    ]
    consent_columns = [
        f"max({value}) FILTER (WHERE {match}) AS {name}_{label}"
        for match, name in pivot
        for value, label in (("id", "event"), ("CAST(granted AS INTEGER)", "granted"), ("occurred_at", "at"))
    ]
    ctes.append(
        f"""c AS (
    SELECT player_id, {", ".join(consent_columns)}
    FROM (SELECT id, player_id, purpose, granted, occurred_at, CASE {slot} END AS slot,
                 ROW_NUMBER() OVER (PARTITION BY player_id, purpose, channel
                                    ORDER BY occurred_at DESC, id DESC) AS n_channel,
                 ROW_NUMBER() OVER (PARTITION BY player_id, purpose
                                    ORDER BY occurred_at DESC, id DESC) AS n_purpose
          FROM consent_events WHERE player_id {in_range}) AS ranked
    WHERE n_channel = 1
    GROUP BY player_id)"""
    )
    if by_player:
        ctes.append(
            _latest_touch_cte(
                "own",
                f"contact_touches AS t WHERE t.player_id {in_range} AND t.at >= :since",
                "player_id",
                by_player,
            )
        )
    if by_point:
        kinds = sorted({IDENTITY_OF_CHANNEL[c] for c in pointed if c in IDENTITY_OF_CHANNEL})
        points = [f"SELECT {kind} AS point FROM i WHERE {kind} IS NOT NULL" for kind in kinds]
        if any(c not in IDENTITY_OF_CHANNEL for c in pointed):
            points.append(f"SELECT 'player:' || CAST(p.id AS TEXT) FROM players AS p WHERE p.id {in_range}")
        ctes.append(f"points AS ({' UNION '.join(points)})")
        ctes.append(
            _latest_touch_cte(
                "shared",
                "contact_touches AS t JOIN points ON t.contact_point = points.point WHERE t.at >= :since",
                "contact_point",
                by_point,
            )
        )

    joins = [
        "LEFT JOIN responsible_gaming AS rg ON rg.player_id = p.id",
        "LEFT JOIN i ON i.player_id = p.id",
        "LEFT JOIN c ON c.player_id = p.id",
        "LEFT JOIN contactability_days AS born ON born.day = p.birth_date",
        "LEFT JOIN contactability_days AS exclusion ON exclusion.day = rg.self_excluded_until",
        "LEFT JOIN contactability_days AS spending ON spending.day = rg.limit_reached_until",
    ]
    if by_player:
        joins.append("LEFT JOIN own ON own.player_id = p.id")
    for channel in pointed:
        joins.append(f"LEFT JOIN shared AS s_{channel} ON s_{channel}.contact_point = {_point_of(channel)}")
    for channel in CHANNELS:
        # A banner goes to the signed-in player: no address of theirs is ever marked unreachable.
        if channel in IDENTITY_OF_CHANNEL:
            joins.append(
                f"LEFT JOIN contact_unreachable AS u_{channel} ON u_{channel}.contact_point = "
                f"{_point_of(channel)} AND u_{channel}.channel = '{channel}'"
            )

    inner = {
        "player_id": "p.id",
        "status": "p.status",
        "region": "p.region",
        "under_age": "COALESCE(p.under_age, FALSE)",
        "birth_date": "p.birth_date",
        "adult_from": "CASE WHEN p.under_age THEN :never ELSE born.adult_from END",
        "self_excluded_until": "rg.self_excluded_until",
        "returned_at": "rg.returned_at",
        "timeout_until": "rg.timeout_until",
        "limit_reached_until": "rg.limit_reached_until",
        "personal_data_event": "c.pd_event",
        "personal_data_granted": "(c.pd_granted = 1)",
        "personal_data_at": "c.pd_at",
        **{kind: f"i.{kind}" for kind in POINT_KINDS},
        # What stops marketing on every channel with no end (``standing._row``'s ``stops_all``).
        "stops_all": "(p.status <> 'active'"
        " OR (rg.self_excluded_until IS NOT NULL AND rg.returned_at IS NULL)"
        " OR COALESCE(c.pd_granted, 0) <> 1)",
        "exclusion_end": "exclusion.day_end",
        "spending_end": "spending.day_end",
    }
    for channel in CHANNELS:
        for label in ("consent", "service"):
            inner[f"{channel}_{label}_event"] = f"c.{channel}_{label}_event"
            inner[f"{channel}_{label}_granted"] = f"(c.{channel}_{label}_granted = 1)"
            inner[f"{channel}_{label}_at"] = f"c.{channel}_{label}_at"
        reachable = channel in IDENTITY_OF_CHANNEL
        inner[f"{channel}_unreachable"] = f"u_{channel}.reason" if reachable else "NULL"
        inner[f"{channel}_unreachable_since"] = f"u_{channel}.since" if reachable else sql.no_moment
        ends = [
            sql.cap_end(
                f"{'own' if rule.per == 'player' else f's_{channel}'}.c{number}", WINDOWS[rule.window]
            )
            for number, rule in rules
            if rule.channel in (channel, "all")
        ]
        inner[f"{channel}_cap"] = (
            f"CASE WHEN {_point_of(channel)} IS NOT NULL THEN {sql.greatest_cap(ends)} END"
            if ends
            else sql.no_moment
        )

    outer: dict[str, str] = {}
    for column in contactability.columns:
        name = column.name
        channel = next((c for c in CHANNELS if name.startswith(f"{c}_")), None)
        if name == "refreshed_at":
            outer[name] = ":now"
        elif channel and name == f"{channel}_cap_ends":
            outer[name] = sql.cap_stamp(f"r.{channel}_cap")
        elif channel and name == f"{channel}_marketing_from":
            kind = IDENTITY_OF_CHANNEL.get(channel)
            waits = ["r.exclusion_end", "r.timeout_until", "r.spending_end"]
            if "marketing" in policy.capped_classes:
                waits.append(sql.cap_stamp(f"r.{channel}_cap"))
            outer[name] = (
                f"CASE WHEN r.stops_all OR NOT COALESCE(r.{channel}_consent_granted, FALSE)"
                + (f" OR r.{kind} IS NULL" if kind else "")
                + f" OR r.{channel}_unreachable IS NOT NULL"
                + f" THEN :never ELSE {sql.latest_moment(waits)} END"
            )
        else:
            outer[name] = f"r.{name}"

    only_scope = " AND p.id IN (SELECT player_id FROM contactability_scope)" if scoped else ""
    names = list(outer)
    with_clause = ",\n".join(ctes)
    joined = "\n      ".join(joins)
    inner_columns = ", ".join(f"{expression} AS {name}" for name, expression in inner.items())
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name != "player_id")
    # INSERT before WITH: Python's sqlite3 counts the rows of a statement only if it starts with INSERT.
    return f"""INSERT INTO contactability ({", ".join(names)})
WITH {with_clause}
SELECT {", ".join(f"{outer[name]} AS {name}" for name in names)}
FROM (SELECT {inner_columns}
      FROM players AS p
      {joined}
      WHERE p.id {in_range}{only_scope}) AS r
WHERE TRUE
ON CONFLICT (player_id) DO UPDATE SET {updates}"""


def _bound(statement: str) -> TextClause:
    moments = [name for name in ("now", "since", "always", "never") if f":{name}" in statement]
    return text(statement).bindparams(*(bindparam(name, type_=UtcDateTime) for name in moments))


class _Upsert:
    """Writes ranges of rows on one connection, in its transaction; ``close`` drops its temporary
    tables."""

    def __init__(self, connection: Connection, policy: PolicySettings, now: dt.datetime) -> None:
        self.connection = connection
        self.policy = policy
        self.postgres = connection.dialect.name == "postgresql"
        self.moments = {"now": now, "since": now - LONGEST_WINDOW, "always": ALWAYS, "never": NEVER}
        self.days: dict[dt.date, tuple[dt.datetime | None, dt.datetime | None]] = {}
        for table in (_DAYS, _SCOPE):
            connection.execute(CreateTable(table, if_not_exists=True))
            connection.execute(table.delete())

    def close(self) -> None:
        for table in (_DAYS, _SCOPE):
            self.connection.execute(DropTable(table))

    def write(self, lo: int, hi: int, ids: Sequence[int] | None = None) -> int:
        """Recompute the rows of players ``lo``–``hi`` (of ``ids`` only, when given and not all of them);
        how many were written."""
        scoped = ids is not None and len(ids) != hi - lo + 1
        if scoped:
            assert ids is not None
            self.connection.execute(_SCOPE.delete())
            self.connection.execute(insert(_SCOPE), [{"player_id": player_id} for player_id in ids])
        if self.postgres:
            # As ``standing.refresh``: the players are locked in id order before their facts are read.
            self.connection.execute(
                text(
                    "SELECT count(*) FROM (SELECT id FROM players WHERE id BETWEEN :lo AND :hi"
                    + (" AND id IN (SELECT player_id FROM contactability_scope)" if scoped else "")
                    + " ORDER BY id FOR NO KEY UPDATE) AS locked"
                ),
                {"lo": lo, "hi": hi},
            )
        self._add_days(lo, hi)
        statement = _statement(self.connection.dialect.name, self.policy, scoped)
        result = self.connection.execute(_bound(statement), {"lo": lo, "hi": hi, **self.moments})
        return int(result.rowcount)

    def _add_days(self, lo: int, hi: int) -> None:
        births = set(
            self.connection.scalars(
                select(Player.birth_date)
                .where(Player.id.between(lo, hi), Player.birth_date.is_not(None))
                .distinct()
            )
        )
        rg = ResponsibleGaming
        ends = set(
            self.connection.scalars(
                union(
                    select(rg.self_excluded_until).where(
                        rg.player_id.between(lo, hi), rg.self_excluded_until.is_not(None)
                    ),
                    select(rg.limit_reached_until).where(
                        rg.player_id.between(lo, hi), rg.limit_reached_until.is_not(None)
                    ),
                )
            )
        )
        new = sorted((births | ends) - self.days.keys())
        for day in new:
            self.days[day] = (_adult_from(day), _day_end(day))
        for day in births:
            if self.days[day][0] is None:
                raise ValueError(f"birth date {day} of a player among ids {lo}–{hi} has no 18th birthday")
        for day in ends:
            if self.days[day][1] is None:
                raise ValueError(f"a responsible-gaming end {day} among players {lo}–{hi} has no next day")
        if new:
            self.connection.execute(
                insert(_DAYS),
                [{"day": day, "adult_from": self.days[day][0], "day_end": self.days[day][1]} for day in new],
            )


def _adult_from(birth: dt.date) -> dt.datetime | None:
    """``standing._row``'s ``adult_from`` of a birth date (None: past the calendar's last year)."""
    try:
        return clock.day_bounds(adult_on(birth))[0]
    except (ValueError, OverflowError):
        return None


def _day_end(day: dt.date) -> dt.datetime | None:
    """``standing._day_after``: the end of the operator's ``day`` (None: past the calendar's last day)."""
    try:
        return clock.day_bounds(day)[1]
    except OverflowError:
        return None


def rebuild(
    connection: Connection,
    *,
    policy: PolicySettings,
    now: dt.datetime | None = None,
    chunk: int = CHUNK,
    progress: Progress | None = None,
) -> int:
    """Recompute every player's row, ``chunk`` players per statement, in the caller's transaction;
    ``progress(done, total)`` after each. Returns how many rows were written."""
    total = connection.scalar(select(func.count()).select_from(Player)) or 0
    upsert = _Upsert(connection, policy, now or clock.now())
    written, after = 0, None
    while True:
        following = select(Player.id).order_by(Player.id)
        if after is not None:
            following = following.where(Player.id > after)
        lo = connection.scalar(following.limit(1))
        if lo is None:
            break
        hi = connection.scalar(following.offset(chunk - 1).limit(1))
        if hi is None:
            hi = connection.scalar(select(func.max(Player.id)))
        written += upsert.write(lo, hi)
        if progress is not None:
            progress(written, total)
        after = hi
    upsert.close()
    return written


# A refresh's ids are cut into runs of at most CHUNK players spanning at most SPAN ids, so that a sparse
# list does not make one statement read the facts of a wide range for a few players.
SPAN = 4 * CHUNK


def refresh(
    connection: Connection, player_ids: Sequence[int], *, policy: PolicySettings, now: dt.datetime
) -> int:
    """Recompute the rows of ``player_ids`` (sorted, distinct) in the caller's transaction; how many were
    written. A player who no longer exists has no row to mend: the foreign key removed it with them."""
    upsert = _Upsert(connection, policy, now)
    written, start = 0, 0
    while start < len(player_ids):
        end = min(start + CHUNK, len(player_ids))
        end = bisect.bisect_right(player_ids, player_ids[start] + SPAN - 1, start, end)
        ids = player_ids[start:end]
        written += upsert.write(ids[0], ids[-1], ids)
        start = end
    upsert.close()
    return written
