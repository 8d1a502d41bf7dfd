"""Lake test fixtures."""

from __future__ import annotations

import pytest
from lake_helpers import synthetic_tickets


@pytest.fixture
def make_tickets():  # type: ignore[no-untyped-def]
    return synthetic_tickets
