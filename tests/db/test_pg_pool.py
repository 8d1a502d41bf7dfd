"""The suite's reused PostgreSQL databases (helpers/pg_pool.py): a database handed back is emptied, its
sequences rewound and its name changed; one whose seeded rows or schema a test changed is dropped instead."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from helpers.factories import make_players
from helpers.pg_pool import ReusablePostgres
from lottocrm.contact_centre.teams.models import Queue
from lottocrm.db.engine import make_engine
from lottocrm.players.models import Player


def _url(database: str) -> str:
    admin = make_url(os.environ["LOTTOCRM_TEST_DATABASE_URL"])
    return admin.set(drivername="postgresql+psycopg", database=database).render_as_string(hide_password=False)


def _admin() -> Engine:
    return create_engine(_url("postgres"), isolation_level="AUTOCOMMIT")


def _clone(template: str) -> str:
    name = f"lottocrm_test_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return name


@pytest.fixture
def pool(pg_template: str) -> Iterator[ReusablePostgres]:
    dropped: list[str] = []
    pool = ReusablePostgres(lambda: _clone(pg_template), url_of=_url, admin=_admin, drop_later=dropped.append)
    pool.dropped = dropped  # type: ignore[attr-defined]
    yield pool
    pool.close()
    admin = _admin()
    with admin.connect() as connection:
        for name in dropped:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_database_comes_back_empty_rewound_and_renamed(pool: ReusablePostgres) -> None:
    first = pool.take()
    engine = make_engine(_url(first))
    make_players(engine)
    with engine.connect() as connection:
        written = connection.scalar(select(func.count()).select_from(Player))
        queues = connection.scalar(select(func.count()).select_from(Queue))
    engine.dispose()
    assert written
    pool.give_back(first)
    second = pool.take()
    assert second != first and pool.dropped == []  # type: ignore[attr-defined]
    engine = make_engine(_url(second))
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Player)) == 0
        assert connection.scalar(select(func.count()).select_from(Queue)) == queues  # seeded rows kept
    make_players(engine)  # the same fixed ids again: nothing of the first test is left
    engine.dispose()
    pool.give_back(second)
    assert pool.dropped == []  # type: ignore[attr-defined]


def test_a_database_with_changed_seeds_or_schema_is_dropped(pool: ReusablePostgres) -> None:
    for change in ("UPDATE cc_queues SET label = label || '!'", "CREATE TABLE stray (id INTEGER)"):
        name = pool.take()
        engine = make_engine(_url(name))
        with engine.begin() as connection:
            connection.execute(text(change))
        engine.dispose()
        pool.give_back(name)
        assert pool.dropped[-1] == name  # type: ignore[attr-defined]
