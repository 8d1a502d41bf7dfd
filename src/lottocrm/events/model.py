"""An event is a payload (what happened, typed and versioned) inside an envelope (which event, when).

A payload class is declared in its domain's ``events.py`` with a dotted ``name`` ("players.consent_changed")
and a ``version``. A change that a subscriber could misread — a field removed, renamed or re-meant — takes a
new version; adding an optional field does not.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class EventPayload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    version: ClassVar[int] = 1
    # Set on events about one player, so a subscriber (a journey, a timeline) can route without parsing.
    player_field: ClassVar[str | None] = None


class DomainEvent(BaseModel):
    """The envelope a subscriber receives: the payload as JSON data plus its identity and time."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    name: str
    version: int
    occurred_at: dt.datetime
    player_id: int | None = None
    payload: dict[str, Any]


def envelope(payload: EventPayload, *, event_id: uuid.UUID, occurred_at: dt.datetime) -> DomainEvent:
    player_id = getattr(payload, payload.player_field) if payload.player_field else None
    return DomainEvent(
        id=event_id,
        name=payload.name,
        version=payload.version,
        occurred_at=occurred_at,
        player_id=player_id,
        payload=payload.model_dump(mode="json"),
    )
