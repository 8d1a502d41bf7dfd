from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from lottocrm import domains
from lottocrm.db import migrate
from lottocrm.db.base import Base
from lottocrm.db.engine import make_engine


def _drift(engine) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        domains.import_models()
        return compare_metadata(context, Base.metadata)


def test_up_down_up_leaves_schema_matching_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    assert migrate.is_up_to_date(engine)
    assert _drift(engine) == []
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert _drift(engine) == []
    engine.dispose()
