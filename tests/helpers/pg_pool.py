"""PostgreSQL test databases reused within a worker: emptied after each test instead of cloned afresh.

Cloning the migrated template costs ~0.7 s of the server's CPU (mostly the kernel creating ~700 files), and
eight hundred PostgreSQL tests made that a tenth of the suite. Emptying what a test wrote takes milliseconds:
every other session on the database is ended, the tables that hold rows are found with one query and emptied
(foreign keys are not checked meanwhile: ``session_replication_role = replica``) and every sequence goes back
to where the template had it; the database is then renamed, so each test still sees a URL of its own.

A database is reused only when it is provably as the template left it otherwise: the same schema objects
(a test that created a table or migrated down changes them), and the same rows in the tables the migrations
seed. Anything else — a schema change, a seeded row changed, an error while emptying — and the database is
dropped and the next test gets a fresh clone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text

# Every user object in the public schema, summed by oid: a created or dropped object changes it.
SCHEMA_SHAPE = """
SELECT (SELECT count(*) || ':' || coalesce(sum(oid::int8), 0) FROM pg_class
         WHERE relnamespace = 'public'::regnamespace)
    || '/' || (SELECT count(*) || ':' || coalesce(sum(oid::int8), 0) FROM pg_type
                WHERE typnamespace = 'public'::regnamespace)
    || '/' || (SELECT count(*) || ':' || coalesce(sum(oid::int8), 0) FROM pg_proc
                WHERE pronamespace = 'public'::regnamespace)
    || '/' || (SELECT count(*) || ':' || coalesce(sum(oid::int8), 0) FROM pg_constraint
                WHERE connamespace = 'public'::regnamespace)
    || '/' || (SELECT count(*) || ':' || coalesce(sum(oid::int8), 0) FROM pg_trigger)
"""


@dataclass(frozen=True)
class TemplateState:
    shape: str
    tables: tuple[str, ...]
    seeded: dict[str, str]  # table → md5 of its rows
    sequences: dict[str, tuple[int, bool]]  # sequence → (last_value, is_called)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows_digest(connection: Connection, table: str) -> str:
    return str(
        connection.exec_driver_sql(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {_quoted(table)} t"
        ).scalar()
    )


def _non_empty(connection: Connection, tables: tuple[str, ...]) -> list[str]:
    probes = " UNION ALL ".join(
        f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM {_quoted(table)})" for table in tables
    )
    return [row[0] for row in connection.exec_driver_sql(probes)]


def _read_state(connection: Connection) -> TemplateState:
    tables = tuple(
        row[0]
        for row in connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    )
    sequences = {}
    for (name,) in connection.exec_driver_sql(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename"
    ).all():
        last, called = connection.exec_driver_sql(f"SELECT last_value, is_called FROM {_quoted(name)}").one()
        sequences[name] = (int(last), bool(called))
    return TemplateState(
        shape=str(connection.exec_driver_sql(SCHEMA_SHAPE).scalar()),
        tables=tables,
        seeded={table: _rows_digest(connection, table) for table in _non_empty(connection, tables)},
        sequences=sequences,
    )


class ReusablePostgres:
    """Databases cloned from one template for one worker, handed out one per test and taken back."""

    def __init__(
        self,
        clone: Callable[[], str],
        *,
        url_of: Callable[[str], str],
        admin: Callable[[], Engine],
        drop_later: Callable[[str], None],
    ) -> None:
        """``clone()`` makes a new copy of the template and names it; ``url_of(name)`` is a database's URL;
        ``admin()`` an engine on the server's maintenance database; ``drop_later(name)`` drops a database."""
        self._clone = clone
        self._url_of = url_of
        self._admin = admin
        self._drop_later = drop_later
        self._free: list[str] = []
        self._state: TemplateState | None = None

    def take(self) -> str:
        """The name of a database holding exactly the template's schema and rows."""
        if self._free:
            return self._free.pop()
        name = self._clone()
        if self._state is None:
            # Read from a fresh clone: connecting to the template itself would stop it being cloned.
            with self._connect(name) as connection:
                self._state = _read_state(connection)
        return name

    def give_back(self, name: str) -> None:
        """Empty the database for the next test, or drop it when it cannot be made as the template was."""
        try:
            renamed = self._renamed(name) if self._empty(name) else None
        except Exception:  # noqa: BLE001 — whatever went wrong, a fresh clone is the safe answer
            renamed = None
        if renamed is not None:
            self._free.append(renamed)
        else:
            self._drop_later(name)

    def _renamed(self, name: str) -> str:
        # A new name gives the next test a URL nobody has seen: caches kept per database URL (the ledger's
        # system accounts, say, which production never deletes) cannot hand it another test's rows.
        fresh = f"lottocrm_test_{uuid.uuid4().hex[:12]}"
        admin = self._admin()
        try:
            with admin.connect() as con:
                con.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{fresh}"'))
        finally:
            admin.dispose()
        return fresh

    def close(self) -> None:
        while self._free:
            self._drop_later(self._free.pop())

    @contextmanager
    def _connect(self, name: str) -> Iterator[Connection]:
        engine = create_engine(self._url_of(name))
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()

    def _empty(self, name: str) -> bool:
        state = self._state
        assert state is not None
        with self._connect(name) as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            connection.exec_driver_sql("SET lock_timeout = '10s'")
            if connection.exec_driver_sql(SCHEMA_SHAPE).scalar() != state.shape:
                return False
            for table, digest in state.seeded.items():
                if _rows_digest(connection, table) != digest:
                    return False
            written = _non_empty(connection, state.tables)
            connection.exec_driver_sql("SET session_replication_role = replica")
            for table in written:
                if table not in state.seeded:
                    connection.exec_driver_sql(f"DELETE FROM {_quoted(table)}")
            if state.sequences:
                rows = ", ".join(
                    f"('{_quoted(sequence)}', {last}, {'true' if called else 'false'})"
                    for sequence, (last, called) in state.sequences.items()
                )
                connection.exec_driver_sql(
                    f"SELECT setval(s::regclass, v, c) FROM (VALUES {rows}) AS positions (s, v, c)"
                )
            connection.commit()
        return True
