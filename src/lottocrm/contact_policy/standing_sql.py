"""The contactability rows computed in SQL, one statement per range of players: what ``standing.rebuild``
and a refresh of many players use. ``standing._row`` stays the definition: a test holds the two to the same
rows column by column (tests/contact_policy/test_standing_sql.py).

Each range is one upsert (``standing_statement``). Two things stay in Python: the operator's calendar, so a
DST day or a zone's history is the clock's and not a second copy of it in SQL (the start of the day a
player turns 18 and the end of an exclusion's or a spending limit's last day are ``clock.day_bounds`` of the
range's distinct dates, in a temporary table the statement joins), and the lock: as ``standing.refresh``
does, the range's players are locked (PostgreSQL ``FOR NO KEY UPDATE``, in id order) before their facts
are read.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence

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
from lottocrm.contact_policy.document import LONGEST_WINDOW, PolicySettings
from lottocrm.contact_policy.standing import ALWAYS, NEVER, adult_on
from lottocrm.contact_policy.standing_statement import upsert_statement
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
        # PostgreSQL's planner, for these statements only (restored by ``close``). Its statistics do not
        # know the facts a load wrote in this very transaction (nor, until autovacuum runs, in one just
        # committed): it takes a range of 10^5 players for a few dozen and joins them in a nested loop,
        # 10^10 comparisons; every join here is of a range's rows, which a hash join takes in one pass
        # whatever the estimates. And JIT compiles each statement again for a tenth of a second.
        self.settings = {"enable_nestloop": "off", "jit": "off"} if self.postgres else {}
        self.previous = {name: self._set(name, value) for name, value in self.settings.items()}

    def _set(self, name: str, value: str) -> str:
        previous = self.connection.scalar(text("SELECT current_setting(:name)"), {"name": name})
        self.connection.execute(
            text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value}
        )
        return str(previous)

    def close(self) -> None:
        for table in (_DAYS, _SCOPE):
            self.connection.execute(DropTable(table))
        for name, value in self.previous.items():
            self._set(name, value)

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
        statement = upsert_statement(self.connection.dialect.name, self.policy, scoped)
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
