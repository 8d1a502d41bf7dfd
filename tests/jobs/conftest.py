"""Helpers for the job tests."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from lottocrm.db.engine import transaction
from lottocrm.jobs.models import Job


@pytest.fixture
def job_row(engine: Engine):  # type: ignore[no-untyped-def]
    """Read one job back in a fresh transaction."""

    def read(job_id: int) -> Job:
        with transaction(engine) as session:
            job = session.scalar(select(Job).where(Job.id == job_id))
            assert job is not None
            session.expunge(job)
            return job

    return read
