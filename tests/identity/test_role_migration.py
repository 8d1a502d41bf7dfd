"""Migration 0061 adds the data steward role; taking it away again is refused while someone holds it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from lottocrm.db import migrate
from lottocrm.db.engine import make_engine


def test_the_role_cannot_be_downgraded_away_from_a_steward(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, display_name, role, password_hash, disabled, failed_logins, "
                "locale, created_at, password_changed_at) "
                "VALUES ('steward', 'Дарья', 'data_steward', 'x', false, 0, 'ru', :now, :now)"
            ),
            {"now": now},
        )
    with pytest.raises(Exception, match="hold the data_steward role"):
        migrate.downgrade(engine, "0060")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT role FROM users")).scalar_one() == "data_steward"
    engine.dispose()
