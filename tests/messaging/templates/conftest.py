"""Fixtures for the template tests: a migrated database's engine (SQLite, and PostgreSQL when
LOTTOCRM_TEST_DATABASE_URL is set, from tests/conftest.py) and the acting people."""

from __future__ import annotations

import pytest

from lottocrm.audit.service import Actor


@pytest.fixture
def marketer() -> Actor:
    return Actor("user:petrova", "192.0.2.10")


@pytest.fixture(autouse=True)
def default_template_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOTTOCRM_SMS_PRICE_KOPECKS", raising=False)
    monkeypatch.delenv("LOTTOCRM_SMS_MAX_PARTS", raising=False)
