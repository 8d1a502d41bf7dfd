"""Listening to domain events in a test: every event in the catalogue gets a subscriber that only records
it (its jobs are looked at, never run), and ``emitted`` reads back what was announced, in order."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from lottocrm import domains
from lottocrm.db.engine import transaction
from lottocrm.events.catalog import catalogue
from lottocrm.events.model import DomainEvent
from lottocrm.jobs.models import Job
from lottocrm.manifest import Domain, Subscriber

LISTENERS = Domain(
    name="listeners",
    subscribers=tuple(
        Subscriber(f"test.listen.{name}", name, "helpers.domain_events:ignore")
        for name in sorted(catalogue())
    ),
)


def ignore(context) -> None:  # type: ignore[no-untyped-def]
    """The listeners' handler; their jobs are only looked at, never run."""


@pytest.fixture
def listening(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(domains, "INSTALLED", (*domains.INSTALLED, LISTENERS))


def emitted(engine: Engine) -> list[DomainEvent]:
    with transaction(engine) as session:
        jobs = session.scalars(select(Job).where(Job.kind.like("test.listen.%")).order_by(Job.id)).all()
        return [DomainEvent.model_validate(job.payload) for job in jobs]
