"""The embedded store's promises: WAL, foreign keys, a busy timeout, writers that queue instead of failing.

These are SQLite's own settings, so they run on SQLite only; PostgreSQL needs none of them.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, transaction
from lottocrm.players.models import Player, ResponsibleGaming

INCREMENTS = 150
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}", busy_timeout_ms=20_000)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        session.add(
            Player(
                id=1,
                last_name="Смирнов",
                first_name="Олег",
                search_name="смирнов олег",
                registered_at=NOW,
                registration_channel="retail",
                created_at=NOW,
            )
        )
        session.flush()
        session.add(ResponsibleGaming(player_id=1, monthly_spend_limit_kopecks=0, flags=[], updated_at=NOW))
    return engine


def test_every_connection_has_wal_foreign_keys_and_a_busy_timeout(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 20_000


def test_foreign_keys_are_enforced(sqlite_engine: Engine) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), transaction(sqlite_engine) as session:
        session.add(ResponsibleGaming(player_id=404, flags=[], updated_at=NOW))


def _increment_counter(engine: Engine, times: int) -> None:
    """Read-then-write, the pattern a deferred SQLite transaction cannot survive under contention."""
    for _ in range(times):
        with transaction(engine) as session:
            limit = session.scalar(select(ResponsibleGaming.monthly_spend_limit_kopecks))
            session.execute(
                ResponsibleGaming.__table__.update().values(monthly_spend_limit_kopecks=(limit or 0) + 1)
            )


def _counter(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(ResponsibleGaming.monthly_spend_limit_kopecks)) or 0


def test_two_writer_threads_both_succeed_without_lost_updates(sqlite_engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            _increment_counter(sqlite_engine, INCREMENTS)
        except BaseException as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert _counter(sqlite_engine) == 2 * INCREMENTS


def _writer_process(url: str, times: int) -> None:
    _increment_counter(make_engine(url, busy_timeout_ms=20_000), times)


@pytest.mark.slow
def test_two_writer_processes_both_succeed_without_lost_updates(sqlite_engine: Engine) -> None:
    url = sqlite_engine.url.render_as_string()
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_writer_process, args=(url, INCREMENTS)) for _ in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)

    assert [process.exitcode for process in processes] == [0, 0], "a writer died (database is locked?)"
    assert _counter(sqlite_engine) == 2 * INCREMENTS


def test_without_begin_immediate_an_interleaved_read_then_write_fails_with_database_is_locked(
    sqlite_engine: Engine,
) -> None:
    """The control: a deferred transaction that read before another writer committed cannot write after it.

    The busy timeout does not help there (SQLite refuses at once to avoid a deadlock); BEGIN IMMEDIATE
    avoids it by taking the write lock before the read.
    """
    path = sqlite_engine.url.database
    assert path is not None
    first = sqlite3.connect(path, timeout=20, isolation_level=None)
    second = sqlite3.connect(path, timeout=20, isolation_level=None)
    read = "SELECT monthly_spend_limit_kopecks FROM responsible_gaming"
    write = "UPDATE responsible_gaming SET monthly_spend_limit_kopecks = ?"
    try:
        first.execute("BEGIN")
        (seen_by_first,) = first.execute(read).fetchone()
        second.execute("BEGIN")
        (seen_by_second,) = second.execute(read).fetchone()
        second.execute(write, (seen_by_second + 1,))
        second.execute("COMMIT")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            first.execute(write, (seen_by_first + 1,))
        first.execute("ROLLBACK")
    finally:
        first.close()
        second.close()


def test_with_begin_immediate_the_same_interleaving_queues_and_both_commit(sqlite_engine: Engine) -> None:
    first_has_read = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction(sqlite_engine) as session:
                limit = session.scalar(select(ResponsibleGaming.monthly_spend_limit_kopecks)) or 0
                first_has_read.set()
                time.sleep(0.3)  # the second writer is now waiting in BEGIN IMMEDIATE
                session.execute(
                    ResponsibleGaming.__table__.update().values(monthly_spend_limit_kopecks=limit + 1)
                )
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_has_read.wait(timeout=10)
    _increment_counter(sqlite_engine, 1)
    thread.join()

    assert errors == []
    assert _counter(sqlite_engine) == 2
