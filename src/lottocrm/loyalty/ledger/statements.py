"""Statements queued and sent together: how a till call makes three round trips instead of fifteen.

Services queue statements with :meth:`Statements.add` and read the answers later. On PostgreSQL a till call
uses :class:`Pipelined`: queued statements go out in one psycopg pipeline (one network round trip, server-side
prepared) when an answer is first read or :meth:`Statements.flush` is called. Everywhere else —
SQLite, and every caller that just hands over a Session — :class:`Immediate` runs each statement at once
through SQLAlchemy. The services are written once against this interface, so the business rules have one
source whatever the dialect; only the number of round trips differs.

Queueing changes one thing for the services: a refusal must be decided from answers already read, before the
first write is queued, because queued writes are not sent until the next read or flush.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.engine import Compiled
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import TextClause


class Pending:
    """The answer of one queued statement: rows with named fields, as SQLAlchemy's rows have."""

    __slots__ = ("_owner", "_rows")

    def __init__(self, owner: Statements, rows: list[Any] | None = None) -> None:
        self._owner = owner
        self._rows = rows

    def _ready(self) -> list[Any]:
        if self._rows is None:
            self._owner.flush()
        assert self._rows is not None
        return self._rows

    def all(self) -> list[Any]:
        return self._ready()

    def first(self) -> Any | None:
        rows = self._ready()
        return rows[0] if rows else None

    def one(self) -> Any:
        rows = self._ready()
        if len(rows) != 1:
            raise LookupError(f"expected one row, got {len(rows)}")
        return rows[0]

    def scalar(self) -> Any | None:
        row = self.first()
        return None if row is None else row[0]


class Statements:
    """A call's statements on its session's connection, inside the caller's transaction."""

    # True when queued statements wait for the next round trip, so reading one more costs nothing extra.
    batched = False

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection: Connection = session.connection()

    @staticmethod
    def of(target: Session | Statements) -> Statements:
        """Services accept a Session (run at once) or the Statements of a till call (maybe pipelined)."""
        if isinstance(target, Statements):
            return target
        return Immediate(target)

    def settled_session(self) -> Session:
        """The session, for work done through it directly: queued statements are sent first, in order."""
        self.flush()
        return self.session

    def add(self, statement: Executable, parameters: dict[str, Any]) -> Pending:
        raise NotImplementedError

    def flush(self) -> None:
        """Send what is queued (nothing to do when statements run at once)."""

    def reserve_id(self, table: str) -> Pending:
        """An id for a row about to be inserted, read with the next round trip (None: let the insert pick)."""
        return Pending(self, [(None,)])


# What the ledger's primitives and the programme's services accept: a Session (run at once) or a till call's
# statements (maybe pipelined).
Target = Session | Statements


class Immediate(Statements):
    def add(self, statement: Executable, parameters: dict[str, Any]) -> Pending:
        result = self.connection.execute(statement, parameters)
        return Pending(self, result.all() if result.returns_rows else [])


class _Compiled:
    """A statement compiled for psycopg once per set of parameter names, with SQLAlchemy's bind processing."""

    __slots__ = ("sql", "defaults", "processors", "prepare")

    def __init__(self, compiled: Compiled, *, prepare: bool) -> None:
        self.sql = str(compiled)
        # PostgreSQL prepares only queries and DML; SAVEPOINT and friends are sent as they are.
        self.prepare = prepare
        self.defaults = compiled.construct_params(_check=False)
        self.processors = compiled._bind_processors  # noqa: SLF001 - JSON and UTC timestamps need them

    def parameters(self, given: dict[str, Any]) -> dict[str, Any]:
        values = {**self.defaults, **given}
        for name, process in self.processors.items():
            if name in values:
                values[name] = process(values[name])  # type: ignore[operator]
        return values


# Called with the SQL of every pipeline sent (one round trip each): how tests hold the till's budget.
round_trip_observers: list[Callable[[list[str]], None]] = []

_compiled: dict[tuple[int, tuple[str, ...]], tuple[Executable, _Compiled]] = {}


class Pipelined(Statements):
    """PostgreSQL (psycopg 3): queued statements leave in one pipeline, each prepared on the server."""

    batched = True

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._queue: list[tuple[_Compiled, dict[str, Any], Pending]] = []

    def _compile(self, statement: Executable, parameters: dict[str, Any]) -> _Compiled:
        names = tuple(sorted(parameters))
        key = (id(statement), names)
        found = _compiled.get(key)
        # The statement itself is kept in the entry, so its id cannot be reused by another object.
        if found is None or found[0] is not statement:
            compiled = statement.compile(dialect=self.connection.dialect, column_keys=list(names))
            found = (statement, _Compiled(compiled, prepare=not isinstance(statement, TextClause)))
            _compiled[key] = found
        return found[1]

    def add(self, statement: Executable, parameters: dict[str, Any]) -> Pending:
        pending = Pending(self)
        self._queue.append((self._compile(statement, parameters), parameters, pending))
        return pending

    def reserve_id(self, table: str) -> Pending:
        return self.add(_NEXTVAL, {"sequence": f"{table}_id_seq"})

    def flush(self) -> None:
        queue, self._queue = self._queue, []
        if not queue:
            return
        for observe in round_trip_observers:
            observe([compiled.sql for compiled, _parameters, _pending in queue])
        driver = self.connection.connection.driver_connection
        cursors = []
        with driver.pipeline():  # type: ignore[union-attr]
            for compiled, parameters, _pending in queue:
                cursor = driver.cursor(row_factory=namedtuple_row)  # type: ignore[union-attr]
                cursor.execute(compiled.sql, compiled.parameters(parameters), prepare=compiled.prepare)
                cursors.append(cursor)
        for cursor, (_compiled_statement, _parameters, pending) in zip(cursors, queue, strict=True):
            pending._rows = cursor.fetchall() if cursor.description is not None else []  # noqa: SLF001
            cursor.close()


_NEXTVAL = select(func.nextval(bindparam("sequence")))


def for_call(session: Session) -> Statements:
    """The fastest Statements the session's database allows."""
    return Pipelined(session) if session.get_bind().dialect.driver == "psycopg" else Immediate(session)
