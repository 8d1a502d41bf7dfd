"""Running subscribers: the job handler behind every subscriber kind, and the worker's whole registry.

A subscriber's job carries the event envelope. The handler parses it, checks it against the catalogue and
calls the subscriber with an :class:`EventContext`. Delivery is at least once (a killed worker's job runs
again); a subscriber whose effect is in the database makes it exactly once with ``context.once()``, which
records the delivery in the effect's own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lottocrm import clock, domains
from lottocrm.db.conflicts import insert_ignoring_conflicts
from lottocrm.db.engine import transaction
from lottocrm.events.catalog import read_payload
from lottocrm.events.model import DomainEvent, EventPayload
from lottocrm.events.models import EventDelivery
from lottocrm.jobs.registry import HandlerRegistry, JobContext
from lottocrm.manifest import Subscriber, resolve


class AlreadyDelivered(Exception):
    """Raised by ``once()`` when this subscriber already acted on this event; the job ends as done."""


@dataclass(frozen=True)
class EventContext:
    event: DomainEvent
    payload: EventPayload
    subscriber: str
    engine: Engine
    job: JobContext

    @contextmanager
    def once(self) -> Iterator[Session]:
        """A transaction that commits the subscriber's effect together with the record of this delivery;
        if the delivery is already recorded, the block does not run."""
        with transaction(self.engine) as session:
            # ON CONFLICT DO NOTHING: a second run (or one racing the first) inserts nothing and stops here;
            # on PostgreSQL it waits for the first run's transaction, so never both effects commit.
            claimed = session.execute(
                insert_ignoring_conflicts(session, EventDelivery)
                .values(event_id=str(self.event.id), subscriber=self.subscriber, delivered_at=clock.now())
                .returning(EventDelivery.event_id)
            ).first()
            if claimed is None:
                raise AlreadyDelivered
            yield session


SubscriberHandler = Callable[[EventContext], None]


def subscriber_job(subscriber: Subscriber) -> Callable[[JobContext], None]:
    """The job handler for ``subscriber``; its function is imported when its first event arrives."""

    def run(context: JobContext) -> None:
        handler: SubscriberHandler = resolve(subscriber.handler)
        event = DomainEvent.model_validate(context.job.payload)
        payload = read_payload(event)
        context_for_subscriber = EventContext(
            event=event, payload=payload, subscriber=subscriber.name, engine=context.engine, job=context
        )
        with suppress(AlreadyDelivered):
            handler(context_for_subscriber)

    return run


def _lazy(path: str) -> Callable[[JobContext], None]:
    def run(context: JobContext) -> None:
        resolve(path)(context)

    return run


def worker_registry() -> HandlerRegistry:
    """Every job kind of every installed domain, subscribers included, whatever was imported before."""
    registry = HandlerRegistry()
    for job in domains.jobs():
        registry.register(job.kind)(_lazy(job.handler))
    for subscriber in domains.subscribers():
        registry.register(subscriber.name)(subscriber_job(subscriber))
    return registry
