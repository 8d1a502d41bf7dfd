"""Counting the statements a piece of code sends to the database: query budgets on hot paths."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

# Transaction control is not a query: SQLite's BEGIN IMMEDIATE passes through the cursor, psycopg's BEGIN and
# every COMMIT do not; savepoints are counted (each is a round trip). The conftest drops finished test
# databases from a side thread; that is not the code under test.
_NOT_QUERIES = ("BEGIN", "DROP DATABASE")


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement any engine executes meanwhile (the app's engine is not the test's)."""
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(_NOT_QUERIES):
            sent.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", note)
