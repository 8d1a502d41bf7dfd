"""Running a test on one database instead of both, for the end-to-end runs whose every part is tested on
both elsewhere (the suite has a time budget; each of these costs a minute or more)."""

from __future__ import annotations

import os

import pytest


def only(dialect: str) -> pytest.MarkDecorator:
    """Run on ``dialect`` ("sqlite" or "postgresql") only, instead of the ``db_url`` fixture's two."""
    return pytest.mark.parametrize("db_url", [dialect], indirect=True)


# The demo runs on the embedded default, as a newcomer runs it.
DEMO_DATABASE = only("sqlite")
# A long run of the operator's traffic: on PostgreSQL when the suite has it (the largest operators' engine),
# else on SQLite.
LARGEST_DATABASE = only("postgresql" if os.environ.get("LOTTOCRM_TEST_DATABASE_URL") else "sqlite")
