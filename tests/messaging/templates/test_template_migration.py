"""Revision 0020 builds exactly the tables the models declare, on SQLite and PostgreSQL, and comes down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from lottocrm.db import migrate
from lottocrm.db.base import Base
from lottocrm.db.engine import make_engine
from lottocrm.messaging.templates import models

TABLES = {models.MessageTemplate.__tablename__, models.MessageTemplateVersion.__tablename__}


def _ours(name: str | None, type_: str, *_: object) -> bool:
    # Only our tables (and so their columns, indexes and constraints) are compared: the other domains'
    # tables are the other domains' tests' business.
    return type_ != "table" or name in TABLES


def _our_object(_object: object, name: str | None, type_: str, *_: object) -> bool:
    return _ours(name, type_)


def _drift(engine: Engine) -> list:  # type: ignore[type-arg]
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _ours, "include_object": _our_object}
        )
        return compare_metadata(context, Base.metadata)


def test_up_down_up_matches_the_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert _drift(engine) == []
    published_index = {
        index["name"]: index["unique"] for index in inspect(engine).get_indexes("message_template_versions")
    }
    assert published_index.get("uq_message_template_versions_one_published") in (True, 1)
    migrate.downgrade(engine, "0019")
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate.upgrade(engine)
    assert _drift(engine) == []
    engine.dispose()
