"""Engines and sessions for the operational store.

SQLite is tuned for a single-machine CRM: WAL so readers never block the writer, foreign keys on, a busy
timeout, and ``BEGIN IMMEDIATE`` for every transaction so two writers queue instead of failing with
"database is locked" half-way through. PostgreSQL needs no such help.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from lottocrm.db.hash_unit import SQLITE_FUNCTION, sqlite_hash_unit
from lottocrm.settings import Settings, get_settings


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control away from the sqlite3 module so BEGIN IMMEDIATE below is the only BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Control groups and holdouts draw players by this in SQL; PostgreSQL computes it from md5().
        dbapi_connection.create_function(SQLITE_FUNCTION, 1, sqlite_hash_unit, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with the dialect tuning above; creates the SQLite folder if needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo)
        _tune_sqlite(engine, busy_timeout_ms)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


# One engine (and one pool) per database for the life of the process; see dispose_cached_engines.
_engines: dict[tuple[str, int], Engine] = {}
_engines_lock = threading.Lock()


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    key = (settings.db_url, settings.sqlite_busy_timeout_ms)
    with _engines_lock:
        if (engine := _engines.get(key)) is None:
            engine = _engines[key] = make_engine(key[0], busy_timeout_ms=key[1])
        return engine


def dispose_cached_engines() -> None:
    """Close the pooled connections of every engine ``get_engine`` handed out and forget them.

    A process that moves between databases (the test suite, one database per test) calls this when it is done
    with one: an engine kept in the cache holds its idle connections open, and a PostgreSQL
    server allows ~100.
    """
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. Services never commit; this does."""
    with session_factory(engine)() as session, session.begin():
        yield session
