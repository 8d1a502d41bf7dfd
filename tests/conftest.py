"""Shared fixtures: every database test runs on SQLite and, when LOTTOCRM_TEST_DATABASE_URL is set, on
PostgreSQL.

PostgreSQL tests get a fresh database per test, cloned from a template migrated once per worker, so tests
never see each other's rows and the clone costs tens of milliseconds instead of a full migration.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from helpers.pg_pool import ReusablePostgres
from lottocrm.db import migrate
from lottocrm.db.engine import dispose_cached_engines, make_engine
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings, build_settings, get_settings

# Fixtures shared across domains: the web app with personas (players, auth, audit, analytics tests use it) and
# the players factory.
pytest_plugins = (
    "helpers.web_app",
    "helpers.player_factory",
    "helpers.worker_processes",
    "helpers.live_server",
    "helpers.domain_events",
)

PG_ADMIN_URL = os.environ.get("LOTTOCRM_TEST_DATABASE_URL")
DIALECTS = ["sqlite", "postgresql"]


def _pg_url(database: str) -> str:
    assert PG_ADMIN_URL is not None
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _pg_admin() -> Engine:
    return create_engine(_pg_url(make_url(PG_ADMIN_URL).database or "postgres"), isolation_level="AUTOCOMMIT")


class _BackgroundDropper:
    """Drops finished test databases on a side thread: DROP DATABASE can stall for seconds on a checkpoint,
    and no test needs to wait for that."""

    def __init__(self) -> None:
        self._names: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="pg-dropper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        admin = _pg_admin()
        while (name := self._names.get()) is not None:
            with admin.connect() as con:
                con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def drop(self, name: str) -> None:
        self._names.put(name)

    def finish(self) -> None:
        self._names.put(None)
        self._thread.join()


_dropper: _BackgroundDropper | None = None


def _drop_later(name: str) -> None:
    global _dropper
    if _dropper is None:
        _dropper = _BackgroundDropper()
    _dropper.drop(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow cases first (in collection order otherwise): xdist hands tests out in this order, so the
    long ones start while there is other work to run beside them instead of finishing the suite alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _dropper is not None:
        _dropper.finish()


@pytest.fixture(autouse=True)
def _close_cached_engines() -> Iterator[None]:
    """Each test has its own database: close the pools the app code opened on it, or a worker's idle
    connections pile up past PostgreSQL's limit (CI saw "too many clients" with three workers)."""
    yield
    dispose_cached_engines()


@pytest.fixture(scope="session")
def pg_template(worker_id: str) -> Iterator[str]:
    """A migrated template database for this xdist worker."""
    if PG_ADMIN_URL is None:
        pytest.skip("PostgreSQL tests need LOTTOCRM_TEST_DATABASE_URL")
    name = _create_pg_database(None, prefix=f"lottocrm_tmpl_{worker_id}")
    engine = make_engine(_pg_url(name))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_databases(pg_template: str) -> Iterator[ReusablePostgres]:
    """This worker's PostgreSQL test databases, emptied and reused between tests (helpers/pg_pool.py)."""
    pool = ReusablePostgres(
        lambda: _create_pg_database(pg_template), url_of=_pg_url, admin=_pg_admin, drop_later=_drop_later
    )
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file for this worker: copying it takes milliseconds, migrating takes about a second,
    which over a thousand SQLite tests was minutes of the suite."""
    path = tmp_path_factory.mktemp("sqlite-template") / "crm.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def _sqlite_copy(template: Path, target: Path) -> str:
    # SQLite's backup API copies a consistent image whatever the template's WAL holds.
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


def _create_pg_database(template: str | None, *, prefix: str = "lottocrm_test", strategy: str = "") -> str:
    """A new database (a copy of ``template``, if given); its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    clause = (f' TEMPLATE "{template}"' if template else "") + (f" STRATEGY {strategy}" if strategy else "")
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    admin.dispose()
    return name


def _fresh_pg_database(template: str | None) -> Iterator[str]:
    if PG_ADMIN_URL is None:
        pytest.skip("PostgreSQL tests need LOTTOCRM_TEST_DATABASE_URL")
    name = _create_pg_database(template)
    try:
        yield _pg_url(name)
    finally:
        _drop_later(name)


@pytest.fixture(params=DIALECTS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no schema at all (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        yield from _fresh_pg_database(None)


@pytest.fixture(params=DIALECTS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated to the latest schema."""
    if request.param == "sqlite":
        yield _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path / "crm.sqlite3")
    else:
        pool: ReusablePostgres = request.getfixturevalue("pg_databases")
        name = pool.take()
        try:
            yield _pg_url(name)
        finally:
            dispose_cached_engines()
            pool.give_back(name)


@pytest.fixture(scope="module", params=DIALECTS)
def module_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database shared by one module's tests (a fuzzing run builds up state over many cases)."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        yield _sqlite_copy(template, tmp_path_factory.mktemp("module-db") / "crm.sqlite3")
    else:
        yield from _fresh_pg_database(request.getfixturevalue("pg_template"))


@pytest.fixture(scope="session")
def snapshots(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str, str, Callable[[str], Any]], tuple[str, Any]]]:
    """``snapshots(key, dialect, build)``: a database of ``dialect`` that ``build(url)`` filled once in this
    worker (a simulated operator, say), and what ``build`` returned. Tests use copies (``copy_database``), so
    an expensive store is built once per worker whatever order the tests run in."""
    made: dict[tuple[str, str], tuple[str, Any]] = {}
    databases: list[str] = []

    def snapshot(key: str, dialect: str, build: Callable[[str], Any]) -> tuple[str, Any]:
        if (key, dialect) not in made:
            if dialect == "sqlite":
                target = tmp_path_factory.mktemp(f"snapshot-{key}") / "crm.sqlite3"
                url = _sqlite_copy(request.getfixturevalue("sqlite_template"), target)
            else:
                name = _create_pg_database(request.getfixturevalue("pg_template"), prefix="lottocrm_snap")
                databases.append(name)
                url = _pg_url(name)
            made[(key, dialect)] = (url, build(url))
            dispose_cached_engines()  # a template must have no connections left
        return made[(key, dialect)]

    yield snapshot
    for name in databases:
        _drop_later(name)


@pytest.fixture
def copy_database(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Copies a database that nobody holds open (one of ``snapshots``, say) for one test, so that an expensive
    store is built once and each test still gets its own: SQLite through its backup API, PostgreSQL as the
    template of a new database (copied file by file: a filled store is too big to copy through the WAL)."""
    copies: list[str] = []

    def copy(url: str) -> str:
        source = make_url(url)
        if source.get_backend_name() == "sqlite":
            return _sqlite_copy(Path(str(source.database)), tmp_path / f"copy-{uuid.uuid4().hex[:8]}.sqlite3")
        name = _create_pg_database(source.database, strategy="FILE_COPY")
        copies.append(name)
        return _pg_url(name)

    yield copy
    for name in copies:
        _drop_later(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings for one test's data folder and database, also exported so CLI commands see them."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("LOTTOCRM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LOTTOCRM_DATABASE_URL", db_url)
    monkeypatch.delenv("LOTTOCRM_LAKE_DIR", raising=False)
    get_settings.cache_clear()
    yield build_settings()
    get_settings.cache_clear()


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")
