"""The contactability row of each player (``models.contactability``), computed from the facts.

The facts stay where they are: the consent ledger, the responsible-gaming state, the identities, the list of
unreachable addresses and the cap ledger. This module derives one row per player from them, so that
``decide`` reads one row and an audience count over 2·10^7 players is an index range per channel
(``selection.py``). ``refresh`` recomputes the rows of some players inside the caller's transaction;
``tracking.py`` calls it for whatever a session changed, the cap ledger for the players it touched, bulk
loaders for the players they wrote; ``rebuild`` recomputes every row.

Two writers refreshing one player at once could each compute from a snapshot without the other's fact; so
``refresh`` first locks the players' rows (PostgreSQL ``FOR NO KEY UPDATE``, in id order, as the cap ledger
does) and reads the facts after it holds the lock: the last writer sees everything committed before it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, or_, select

from lottocrm import clock, vocab
from lottocrm.contact_policy.document import LONGEST_WINDOW, WINDOWS, CapRule, PolicySettings
from lottocrm.contact_policy.models import ContactTouch, UnreachablePoint, contactability
from lottocrm.contact_policy.rules import Touch, counts_toward
from lottocrm.db.base import UtcDateTime
from lottocrm.players.consents import ADULT_AGE
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity, ResponsibleGaming

CHANNELS = vocab.CONSENT_CHANNELS
# The identity that carries each channel; banners ("web") reach the signed-in player, not an address.
IDENTITY_OF_CHANNEL = {"sms": "phone", "call": "phone", "email": "email", "push": "device"}
POINT_KINDS = ("phone", "email", "device")
# "Stopped with no end in sight" and "nothing stops it", as moments both databases store and compare.
NEVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
ALWAYS = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_TICK = dt.timedelta(microseconds=1)
# Players per read of the facts (an IN list both databases take comfortably).
BATCH = 2_000
# From this many players a refresh is computed in SQL (``standing_sql``): an import's players, not a
# transaction's few.
SET_BASED_FROM = 10_000


def web_point(player_id: int) -> str:
    return f"player:{player_id}"


def adult_on(birth: dt.date) -> dt.date:
    """The day a player born on ``birth`` turns 18 (born on 29 February: 1 March in a common year), the
    first day ``players.consents.is_under_age`` says no."""
    try:
        return birth.replace(year=birth.year + ADULT_AGE)
    except ValueError:
        return dt.date(birth.year + ADULT_AGE, 3, 1)


def _day_after(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else clock.day_bounds(day)[1]


def cap_rules(policy: PolicySettings, channel: str) -> tuple[CapRule, ...]:
    """The caps on ``channel`` for the classes the policy caps (the same rules for each of them)."""
    return (
        tuple(rule for rule in policy.caps if rule.channel in (channel, "all"))
        if policy.capped_classes
        else ()
    )


def cap_ends(
    rules: Iterable[CapRule], *, own: Sequence[Touch], shared: Sequence[Touch], channel: str, point: str
) -> dt.datetime | None:
    """The first moment none of ``rules`` stops one more message to ``point`` (None: none stops it now).

    A rule of limit L over window W stops a message at ``at`` while L touches are at or after ``at − W``,
    that is until the L-th latest touch plus W: the same count as ``rules.cap_hit``, solved for ``at``.
    """
    ends: dt.datetime | None = None
    for rule in rules:
        pool = [*own, *shared] if rule.per == "contact_point" else own
        times = sorted((touch.at for touch in pool if counts_toward(rule, touch, point)), reverse=True)
        if len(times) >= rule.limit:
            end = times[rule.limit - 1] + WINDOWS[rule.window] + _TICK
            ends = end if ends is None else max(ends, end)
    return ends


def touches_around(
    connection: Connection, player_ids: Sequence[int], points: Sequence[str], *, since: dt.datetime
) -> tuple[dict[int, list[Touch]], dict[str, list[tuple[int, Touch]]]]:
    """The cap ledger's touches since ``since`` of these players or on these contact points (no upper
    bound: a worker whose clock read a moment later may have committed first), by player and by point."""
    own: dict[int, list[Touch]] = defaultdict(list)
    on_point: dict[str, list[tuple[int, Touch]]] = defaultdict(list)
    for player_id, channel, point, touched_at in connection.execute(
        select(
            ContactTouch.player_id, ContactTouch.channel, ContactTouch.contact_point, ContactTouch.at
        ).where(
            or_(ContactTouch.player_id.in_(player_ids), ContactTouch.contact_point.in_(points)),
            ContactTouch.at >= since,
        )
    ):
        touch = Touch(channel, point, touched_at)
        own[player_id].append(touch)
        on_point[point].append((player_id, touch))
    return own, on_point


class _Facts:
    """The facts of a batch of players, read in five queries."""

    def __init__(self, connection: Connection, player_ids: Sequence[int], now: dt.datetime) -> None:
        rg = ResponsibleGaming
        self.players = connection.execute(
            select(
                Player.id,
                Player.status,
                Player.region,
                Player.under_age,
                Player.birth_date,
                rg.self_excluded_until,
                rg.returned_at,
                rg.timeout_until,
                rg.limit_reached_until,
            )
            .outerjoin(rg, rg.player_id == Player.id)
            .where(Player.id.in_(player_ids))
        ).all()
        # kind → the identity a message uses: verified first, then the most recently added.
        self.points: dict[int, dict[str, str]] = defaultdict(dict)
        for player_id, kind, value in connection.execute(
            select(PlayerIdentity.player_id, PlayerIdentity.kind, PlayerIdentity.value)
            .where(PlayerIdentity.player_id.in_(player_ids), PlayerIdentity.kind.in_(POINT_KINDS))
            .order_by(
                PlayerIdentity.verified.desc(), PlayerIdentity.created_at.desc(), PlayerIdentity.id.desc()
            )
        ):
            self.points[player_id].setdefault(kind, value)
        addresses = sorted({value for kinds in self.points.values() for value in kinds.values()})
        self.unreachable = {
            (row.channel, row.contact_point): row
            for row in connection.execute(
                select(UnreachablePoint).where(UnreachablePoint.contact_point.in_(addresses))
            )
        }
        # player → (purpose, channel) → its latest event; "latest" as the consent ledger defines it.
        self.consents: dict[int, dict[tuple[str, str], Any]] = defaultdict(dict)
        for event in connection.execute(
            select(
                ConsentEvent.id,
                ConsentEvent.player_id,
                ConsentEvent.purpose,
                ConsentEvent.channel,
                ConsentEvent.granted,
                ConsentEvent.occurred_at,
            )
            .where(ConsentEvent.player_id.in_(player_ids))
            .order_by(ConsentEvent.occurred_at, ConsentEvent.id)
        ):
            self.consents[event.player_id][(event.purpose, event.channel)] = event
        self.own, self.on_point = touches_around(
            connection, player_ids, addresses, since=now - LONGEST_WINDOW
        )


def _channel_values(
    facts: _Facts, player: Any, channel: str, policy: PolicySettings, point: str | None, stops_all: bool
) -> dict[str, Any]:
    consents = facts.consents.get(player.id, {})
    advertising = consents.get(("advertising", channel))
    service = consents.get(("service", channel))
    unreachable = facts.unreachable.get((channel, point)) if point else None
    ends = None
    if point is not None:
        ends = cap_ends(
            cap_rules(policy, channel),
            own=facts.own.get(player.id, []),
            shared=[touch for owner, touch in facts.on_point.get(point, []) if owner != player.id],
            channel=channel,
            point=point,
        )
    if stops_all or not (advertising and advertising.granted) or point is None or unreachable is not None:
        marketing_from = NEVER
    else:
        waits = [
            ALWAYS,
            _day_after(player.self_excluded_until),
            player.timeout_until,
            _day_after(player.limit_reached_until),
            ends if "marketing" in policy.capped_classes else None,
        ]
        marketing_from = max(moment for moment in waits if moment is not None)
    return {
        f"{channel}_consent_event": advertising.id if advertising else None,
        f"{channel}_consent_granted": advertising.granted if advertising else None,
        f"{channel}_consent_at": advertising.occurred_at if advertising else None,
        f"{channel}_service_event": service.id if service else None,
        f"{channel}_service_granted": service.granted if service else None,
        f"{channel}_service_at": service.occurred_at if service else None,
        f"{channel}_unreachable": unreachable.reason if unreachable else None,
        f"{channel}_unreachable_since": unreachable.since if unreachable else None,
        f"{channel}_cap_ends": ends,
        f"{channel}_marketing_from": marketing_from,
    }


def _row(facts: _Facts, player: Any, policy: PolicySettings, now: dt.datetime) -> dict[str, Any]:
    personal = [
        event
        for (purpose, _), event in facts.consents.get(player.id, {}).items()
        if purpose == "personal_data"
    ]
    personal_data = max(personal, key=lambda event: (event.occurred_at, event.id), default=None)
    points = facts.points.get(player.id, {})
    if player.under_age:
        adult_from = NEVER
    elif player.birth_date is not None:
        adult_from = clock.day_bounds(adult_on(player.birth_date))[0]
    else:
        adult_from = None
    # What stops marketing on every channel with no end: the account, a self-exclusion not yet followed
    # by a decision to return, the personal-data consent. Age is kept apart (``adult_from``) because whether
    # an unknown age stops marketing is a setting.
    stops_all = (
        player.status != "active"
        or (player.self_excluded_until is not None and player.returned_at is None)
        or not (personal_data and personal_data.granted)
    )
    row: dict[str, Any] = {
        "player_id": player.id,
        "refreshed_at": now,
        "status": player.status,
        "region": player.region,
        "under_age": bool(player.under_age),
        "birth_date": player.birth_date,
        "adult_from": adult_from,
        "self_excluded_until": player.self_excluded_until,
        "returned_at": player.returned_at,
        "timeout_until": player.timeout_until,
        "limit_reached_until": player.limit_reached_until,
        "personal_data_event": personal_data.id if personal_data else None,
        "personal_data_granted": personal_data.granted if personal_data else None,
        "personal_data_at": personal_data.occurred_at if personal_data else None,
        **{kind: points.get(kind) for kind in POINT_KINDS},
    }
    for channel in CHANNELS:
        kind = IDENTITY_OF_CHANNEL.get(channel)
        point = points.get(kind) if kind else web_point(player.id)
        row.update(_channel_values(facts, player, channel, policy, point, stops_all))
    return row


def _lock(connection: Connection, player_ids: Sequence[int]) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            select(Player.id)
            .where(Player.id.in_(player_ids))
            .order_by(Player.id)
            .with_for_update(key_share=True)
        )


_COLUMNS = tuple(column.name for column in contactability.columns)


def _sqlite_stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_converter(column: Any) -> Any:
    """How SQLAlchemy's SQLite types store a column's values: naive UTC text, ISO dates, 0/1."""
    kind = column.type.python_type if not isinstance(column.type, UtcDateTime) else dt.datetime
    return {dt.datetime: _sqlite_stamp, dt.date: dt.date.isoformat, bool: int}.get(kind)


_SQLITE_COLUMNS = tuple((column.name, _sqlite_converter(column)) for column in contactability.columns)


def _upsert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert or replace the rows. Straight to the driver: a batch of 2 000 rows of 66 columns spent most
    of its time in per-value type processing, and these values are already what the column types make."""
    on_sqlite = connection.dialect.name == "sqlite"
    mark = "?" if on_sqlite else "%s"
    statement = (
        f"INSERT INTO contactability ({', '.join(_COLUMNS)}) VALUES ({', '.join([mark] * len(_COLUMNS))}) "
        "ON CONFLICT (player_id) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS if name != "player_id")
    )
    if on_sqlite:
        values = [
            tuple(
                None if (value := row[name]) is None else value if convert is None else convert(value)
                for name, convert in _SQLITE_COLUMNS
            )
            for row in rows
        ]
    else:
        values = [tuple(row[name] for name in _COLUMNS) for row in rows]
    connection.exec_driver_sql(statement, values)


def refresh(
    connection: Connection,
    player_ids: Iterable[int],
    *,
    policy: PolicySettings,
    now: dt.datetime | None = None,
) -> int:
    """Recompute the rows of ``player_ids`` from the facts, in the caller's transaction; a player who no
    longer exists loses their row. Returns how many rows were written."""
    moment = now or clock.now()
    ordered = sorted(set(player_ids))
    if len(ordered) >= SET_BASED_FROM:
        from lottocrm.contact_policy import standing_sql  # it imports this module

        return standing_sql.refresh(connection, ordered, policy=policy, now=moment)
    written = 0
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start : start + BATCH]
        _lock(connection, batch)
        facts = _Facts(connection, batch, moment)
        rows = [_row(facts, player, policy, moment) for player in facts.players]
        if rows:
            _upsert(connection, rows)
        gone = set(batch) - {row["player_id"] for row in rows}
        if gone:
            connection.execute(delete(contactability).where(contactability.c.player_id.in_(sorted(gone))))
        written += len(rows)
    return written


def owners_of(connection: Connection, points: Iterable[str]) -> list[int]:
    """The players whose identities are ``points`` (an address marked unreachable names no player)."""
    values = sorted(set(points))
    if not values:
        return []
    return list(connection.scalars(select(PlayerIdentity.player_id).where(PlayerIdentity.value.in_(values))))


def touched_since(connection: Connection, since: dt.datetime) -> list[int]:
    """Players with a touch in the cap ledger since ``since``: whose caps a change of policy moves."""
    return list(connection.scalars(select(ContactTouch.player_id).where(ContactTouch.at >= since).distinct()))


def rebuild(
    connection: Connection,
    *,
    policy: PolicySettings,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recompute every player's row in SQL, a range of players per statement (for an upgrade, a bulk
    load, or a check); ``progress(done, total)`` after each range."""
    from lottocrm.contact_policy import standing_sql  # it imports this module

    return standing_sql.rebuild(connection, policy=policy, progress=progress)


def drifted(connection: Connection, player_ids: Sequence[int], *, policy: PolicySettings) -> list[int]:
    """Players among ``player_ids`` whose stored row differs from the row their facts give now (or who
    have none): what a writer that bypassed the refresh leaves behind."""
    moment = clock.now()
    facts = _Facts(connection, player_ids, moment)
    stored = {
        row["player_id"]: row
        for row in connection.execute(
            select(contactability).where(contactability.c.player_id.in_(list(player_ids)))
        ).mappings()
    }
    compared = [name for name in _COLUMNS if name != "refreshed_at"]
    found = []
    for player in facts.players:
        fresh, kept = _row(facts, player, policy, moment), stored.get(player.id)
        if kept is None or any(fresh[name] != kept[name] for name in compared):
            found.append(player.id)
    return found
