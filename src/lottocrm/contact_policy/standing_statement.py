"""The statement behind ``standing_sql``: one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` of the
contactability rows of the players ``:lo``–``:hi``, computed as ``standing._row`` computes them.

The latest consent events per purpose and channel and the contact point per kind come from window
functions, each cap rule's L-th latest touch by player and by contact point likewise; the operator's days
(an 18th birthday's start, an exclusion day's end) are joined from the ``contactability_days`` table
``standing_sql`` fills from the clock. The policy's cap rules become columns, so there is one statement per
dialect and policy.

SQLite keeps moments as naive UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (``standing._sqlite_stamp``); the cap
arithmetic there runs in integer microseconds and is written back in that text, so what SQL writes compares
and reads back as what Python writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

from lottocrm.contact_policy.document import WINDOWS, CapRule, PolicySettings
from lottocrm.contact_policy.models import contactability
from lottocrm.contact_policy.standing import CHANNELS, IDENTITY_OF_CHANNEL, POINT_KINDS


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

    def among(self, column: str, values: str) -> str:
        """``column`` is one of the subquery's ``values``. PostgreSQL reads an array of them through the
        column's index, a plan no misestimate can turn into a join."""
        return f"{column} IN ({values})" if self.sqlite else f"{column} = ANY(ARRAY({values}))"

    def latest_moment(self, moments: list[str]) -> str:
        """The latest of ``:always`` and ``moments``, NULLs left out."""
        if self.sqlite:
            return f"max(:always, {', '.join(f'COALESCE({moment}, :always)' for moment in moments)})"
        return f"GREATEST(:always, {', '.join(moments)})"


def _point_of(channel: str) -> str:
    kind = IDENTITY_OF_CHANNEL.get(channel)
    return f"i.{kind}" if kind else "('player:' || CAST(p.id AS TEXT))"


def _points(kinds: Sequence[str], *, web: bool) -> str:
    """The contact points of ``kinds`` of the range's players (and their banner points if ``web``)."""
    points = [f"SELECT {kind} FROM i WHERE {kind} IS NOT NULL" for kind in kinds]
    if web:
        points.append(
            "SELECT 'player:' || CAST(p.id AS TEXT) FROM players AS p WHERE p.id BETWEEN :lo AND :hi"
        )
    return " UNION ALL ".join(points)


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
def upsert_statement(dialect_name: str, policy: PolicySettings, scoped: bool) -> str:
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
    # The range's addresses: whether they are unreachable, and their touches by any player.
    ctes.append(
        f"""u AS (
    SELECT contact_point, channel, reason, since FROM contact_unreachable
    WHERE {sql.among("contact_point", _points(POINT_KINDS, web=False))})"""
    )
    if by_point:
        kinds = [kind for kind in POINT_KINDS if any(IDENTITY_OF_CHANNEL.get(c) == kind for c in pointed)]
        points = _points(kinds, web=any(c not in IDENTITY_OF_CHANNEL for c in pointed))
        ctes.append(
            _latest_touch_cte(
                "shared",
                f"contact_touches AS t WHERE {sql.among('t.contact_point', points)} AND t.at >= :since",
                "contact_point",
                by_point,
            )
        )

    joins = [
        f"LEFT JOIN responsible_gaming AS rg ON rg.player_id = p.id AND rg.player_id {in_range}",
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
                f"LEFT JOIN u AS u_{channel} ON u_{channel}.contact_point = "
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
