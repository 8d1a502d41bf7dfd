"""What the events API announces (see :mod:`lottocrm.events`)."""

from __future__ import annotations

from lottocrm.events.model import EventPayload


class EventsAccepted(EventPayload):
    """A batch of the website's and app's events is stored: ``player_events`` ids ``first_id``..``last_id``
    (arrival order). Readers (journey triggers) catch up from their own position; this only wakes them."""

    name = "player_events.accepted"

    first_id: int
    last_id: int
    events: int
