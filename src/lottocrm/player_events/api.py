"""``POST /api/v1/events``: the website and app send what players do, in batches.

Each event is answered on its own: stored, a duplicate of one already stored (a retried batch), or refused
with the reason and the field (and kept as a dead letter). A batch is never refused as a whole for one bad
event; it is refused whole only when it is not a batch at all (not JSON, no ``events`` list, too many events
or bytes), and then nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from lottocrm import clock
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.errors import ServiceError
from lottocrm.player_events import service
from lottocrm.web.deps import Db, require
from lottocrm.web.errors import API_ERRORS, ApiError

router = APIRouter(tags=["events"], responses=API_ERRORS)

# 1 000 events of 2 KB each fit; a larger body is a client bug or an attack.
MAX_BODY_BYTES = 4 * 1024 * 1024


class BatchTooLarge(ServiceError):
    code, http_status = "batch_too_large", 413


class EventBatch(BaseModel):
    events: list[Any] = Field(
        min_length=1,
        max_length=service.MAX_BATCH,
        description="Events, each an object: id (unique, e.g. a UUID), type, channel (website or app), "
        "occurred_at (ISO 8601 with a zone), player_id and/or device_id, properties (per type).",
    )


class RefusedOut(BaseModel):
    position: int = Field(description="The event's index in the batch, from 0.")
    id: str | None = Field(description="The event id it was sent with, if it had one.")
    reason: str = Field(description="A stable code: unknown_type, missing_field, in_future, ...")
    field: str = Field(description="Where in the event, e.g. properties.amount_kopecks; empty: the whole.")
    detail: str


class BatchOut(BaseModel):
    accepted: int = Field(description="Events stored by this request.")
    duplicates: list[str] = Field(description="Ids already stored (by an earlier request or this one).")
    refused: list[RefusedOut]


@router.post(
    "/events",
    response_model=BatchOut,
    responses={413: {"model": ApiError, "description": "The body is larger than 4 MiB"}},
)
def send_events(
    request: Request,
    principal: Annotated[Principal, require(Permission.EVENTS_SEND)],
    session: Db,
    batch: EventBatch,
) -> BatchOut:
    """Store a batch of up to 1 000 events (500 is a good size). Sending the same batch again is safe: the
    events already stored come back as duplicates. Refused events are listed with the reason and kept
    for the operator's administrators to see."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise BatchTooLarge(
            "the batch is %(size)s bytes; at most %(limit)s", size=length, limit=MAX_BODY_BYTES
        )
    outcome = service.accept(session, batch.events, source=principal.actor, now=clock.now())
    return BatchOut(
        accepted=outcome.accepted,
        duplicates=list(outcome.duplicates),
        refused=[
            RefusedOut(position=r.position, id=r.event_id, reason=r.reason, field=r.field, detail=r.detail)
            for r in outcome.refused
        ],
    )
