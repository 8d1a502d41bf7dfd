"""Run Alembic migrations from code, against an engine, without an alembic.ini on disk.

Each domain (jobs, loyalty, web…) keeps its own branch of revisions off the initial schema, so domains built
in parallel never fight over one linear chain; "heads" applies every branch.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions(engine: Engine) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def is_up_to_date(engine: Engine) -> bool:
    return current_revisions(engine) == head_revisions(engine)


SchemaState = Literal["missing", "outdated", "current", "newer"]


@lru_cache(maxsize=1)
def _script() -> tuple[frozenset[str], frozenset[str]]:
    """(head revisions, every revision) of the migrations shipped with this version, read once."""
    script = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://")))
    return frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


def schema_state_of(engine: Engine) -> SchemaState:
    current = current_revisions(engine)
    heads, known = _script()
    if not current:
        return "missing"
    if current == heads:
        return "current"
    return "newer" if current - known else "outdated"


def schema_state(url: str) -> SchemaState:
    """Where the database at ``url`` stands, without creating anything: an SQLite file that does not exist
    is "missing" (connecting would create an empty one), as is a database without lottocrm's tables."""
    parsed = make_url(url)
    on_disk = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    if on_disk and not Path(str(parsed.database)).exists():
        return "missing"
    engine = create_engine(url, poolclass=NullPool)
    try:
        return schema_state_of(engine)
    finally:
        engine.dispose()
