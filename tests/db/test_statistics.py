"""Fresh planner statistics after a bulk write: PostgreSQL knows the rows are there (it plans a launch's
second chunk from them)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from lottocrm.db.engine import transaction
from lottocrm.db.statistics import refresh_statistics


def test_the_planner_counts_rows_written_a_moment_ago(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans from its indexes; refresh_statistics does nothing there")
    with transaction(engine) as session:
        session.execute(text("CREATE TABLE bulk_rows (id INTEGER PRIMARY KEY, note VARCHAR(20))"))
        session.execute(text("ANALYZE bulk_rows"))
    with transaction(engine) as session:
        rows = ", ".join(f"({n}, 'x')" for n in range(1, 2001))
        session.execute(text(f"INSERT INTO bulk_rows (id, note) VALUES {rows}"))
        assert session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'bulk_rows'")) <= 0
        refresh_statistics(session, "bulk_rows")
        assert session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'bulk_rows'")) == 2000
