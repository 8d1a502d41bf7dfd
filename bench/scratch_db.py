"""Migrated scratch databases for a bench: an SQLite file in a temporary folder, and, given an admin URL,
a PostgreSQL database created for the run and dropped after it."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from lottocrm.db import migrate
from lottocrm.db.engine import make_engine


def on_each_dialect(
    postgres_admin_url: str | None, measure: Callable[[Engine, str], None], *, skip_sqlite: bool = False
) -> None:
    """``measure(engine, label)`` on a fresh SQLite database, then on a fresh PostgreSQL one if asked."""
    if not skip_sqlite:
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
            migrate.upgrade(engine)
            measure(engine, "SQLite")
            engine.dispose()
    if not postgres_admin_url:
        return
    name = f"lottocrm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_admin_url).set(database=name)
        engine = make_engine(url.render_as_string(hide_password=False))
        migrate.upgrade(engine)
        measure(engine, "PostgreSQL")
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
