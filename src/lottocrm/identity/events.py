"""What identity resolution announces (see :mod:`lottocrm.events`)."""

from __future__ import annotations

from lottocrm.events.model import EventPayload


class PersonsResolved(EventPayload):
    """A resolution run changed who is one person: persons created, changed (members added or lost) and
    dissolved, and how many pairs now wait for review. Listed person ids are capped at 10 000."""

    name = "identity.persons_resolved"

    run_id: int
    mode: str
    persons_created: int
    persons_changed: int
    persons_dissolved: int
    review_pending: int
    person_ids: list[int]
