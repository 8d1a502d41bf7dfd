"""``emit``: announce an event by enqueueing one job per subscriber, in the caller's transaction.

The job queue is the outbox: the jobs commit or roll back with the change that caused them, a worker runs
them after commit, and a worker killed mid-run leaves them to be run again. Each job's dedupe key is the
event id and the subscriber, so emitting the same event twice (a retried import, a replayed batch) still
runs each subscriber once per event.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from lottocrm import clock, domains
from lottocrm.events.catalog import payload_class
from lottocrm.events.model import DomainEvent, EventPayload, envelope
from lottocrm.jobs import service as jobs

# Subscribers run on their own queue, so a burst of events never waits behind a long analytics job.
EVENTS_QUEUE = "events"


def emit(
    session: Session | Connection,
    payload: EventPayload,
    *,
    event_id: uuid.UUID | None = None,
    occurred_at: dt.datetime | None = None,
) -> DomainEvent | None:
    """Announce ``payload``. Give ``event_id`` when the same fact may be announced again (derive it from
    the fact, e.g. an import batch id) so that subscribers still see it once. Returns the envelope, or
    None when nothing subscribes (then nothing is built or written: emitting is free on hot paths)."""
    if payload_class(payload.name) is not type(payload):
        raise TypeError(f"{type(payload).__name__} is not the catalogue's class for {payload.name!r}")
    subscribers = domains.subscribers_of(payload.name)
    if not subscribers:
        return None
    event = envelope(payload, event_id=event_id or uuid.uuid4(), occurred_at=occurred_at or clock.now())
    for subscriber in subscribers:
        jobs.enqueue(
            session,
            kind=subscriber.name,
            payload=event.model_dump(mode="json"),
            queue=EVENTS_QUEUE,
            dedupe_key=f"{event.id}:{subscriber.name}",
        )
    return event


def event_id_for(*parts: str) -> uuid.UUID:
    """A stable event id for a fact named by ``parts`` (the same parts, the same id)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "lottocrm:" + ":".join(parts))
