"""``lottocrm identity resolve``: bad input is refused with a clear message before anything runs."""

from __future__ import annotations

from typer.testing import CliRunner

from lottocrm.cli.main import app
from lottocrm.settings import Settings


def test_thresholds_in_the_wrong_order_are_refused(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["identity", "resolve", "--certain", "0.8", "--probable", "0.95"])
    assert result.exit_code == 1
    assert "probable threshold (0.95) must be below the certain threshold (0.8)" in result.output


def test_an_empty_store_is_refused(settings: Settings) -> None:
    from lottocrm.db import migrate
    from lottocrm.db.engine import make_engine

    migrate.upgrade(make_engine(settings.db_url))
    result = CliRunner().invoke(app, ["identity", "resolve"])
    assert result.exit_code == 1
    assert "the store holds 0 players" in result.output
