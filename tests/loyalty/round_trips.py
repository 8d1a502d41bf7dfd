"""Counting what the till sends to the database: the round-trip budget of its hot path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

from lottocrm.loyalty.ledger import statements


@contextmanager
def round_trips() -> Iterator[list[list[str]]]:
    """Every round trip any engine makes meanwhile, as the statements it carried (the app's engine is not
    the test's): a pipeline sent by the till's batched path, a till function call, or one statement through
    SQLAlchemy.

    Transaction control is left out: SQLite's BEGIN IMMEDIATE passes through here, psycopg's BEGIN and
    every COMMIT do not.
    """
    sent: list[list[str]] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        # The conftest drops finished test databases from a side thread; that is not the till's.
        if not statement.startswith(("BEGIN", "DROP DATABASE")):
            sent.append([statement])

    event.listen(Engine, "before_cursor_execute", note)
    statements.round_trip_observers.append(sent.append)
    try:
        yield sent
    finally:
        statements.round_trip_observers.remove(sent.append)
        event.remove(Engine, "before_cursor_execute", note)
