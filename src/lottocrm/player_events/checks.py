"""One event as sent → a candidate row, or the reason it is refused and where.

Only what an event says about itself is checked here (its shape, its type's properties, its time); what
needs the store (is the player known, is the game in the catalogue) is checked per batch by the service,
with one query each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from lottocrm.player_events.kinds import EVENT_CHANNELS, KINDS, Kind
from lottocrm.player_events.models import MAX_DEVICE_ID, MAX_EVENT_ID

# A phone's clock runs ahead now and then; beyond this the time is refused rather than trusted.
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
# An app may send what it buffered offline; older events no longer trigger anything and are refused.
MAX_AGE = dt.timedelta(days=30)
PLAYER_ID_LIMIT = 2**63 - 1


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_EVENT_ID, pattern=r"^[A-Za-z0-9_.:-]+$")
    ]
    type: str
    channel: Literal[EVENT_CHANNELS]  # type: ignore[valid-type]
    occurred_at: str
    player_id: Annotated[int, Field(strict=True, ge=1, le=PLAYER_ID_LIMIT)] | None = None
    device_id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_DEVICE_ID)] | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    reason: str
    field: str
    detail: str


@dataclass(frozen=True)
class Candidate:
    envelope: Envelope
    kind: Kind
    occurred_at: dt.datetime
    properties: dict[str, Any]


def check(raw: Any, *, now: dt.datetime) -> Candidate | Refusal:
    if not isinstance(raw, dict):
        return Refusal("not_an_object", "", f"an event is a JSON object, not {_json_kind(raw)}")
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        return _refusal(exc)
    kind = KINDS.get(envelope.type)
    if kind is None:
        known = ", ".join(KINDS)
        return Refusal("unknown_type", "type", f"no event type {envelope.type!r}; the types are {known}")
    occurred_at = _time(envelope.occurred_at)
    if isinstance(occurred_at, Refusal):
        return occurred_at
    if occurred_at > now + FUTURE_TOLERANCE:
        return Refusal(
            "in_future",
            "occurred_at",
            f"{envelope.occurred_at} is in the future (received at {now:%Y-%m-%dT%H:%M:%SZ})",
        )
    if occurred_at < now - MAX_AGE:
        return Refusal(
            "too_old", "occurred_at", f"{envelope.occurred_at} is more than {MAX_AGE.days} days ago"
        )
    if envelope.player_id is None and envelope.device_id is None:
        return Refusal("no_subject", "player_id", "an event names a player_id, a device_id or both")
    try:
        properties = kind.properties.model_validate(envelope.properties)
    except ValidationError as exc:
        return _refusal(exc, prefix="properties.")
    return Candidate(envelope, kind, occurred_at, properties.model_dump(mode="json", exclude_none=True))


def _time(text: str) -> dt.datetime | Refusal:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return Refusal("invalid_value", "occurred_at", f"{text!r} is not an ISO 8601 time")
    if moment.tzinfo is None:
        return Refusal(
            "invalid_value", "occurred_at", f"{text!r} has no time zone (add Z or an offset such as +03:00)"
        )
    return moment.astimezone(dt.UTC)


# pydantic's error types → our reasons; the rest are values of the wrong type or out of range.
REASON_OF_ERROR = {"missing": "missing_field", "extra_forbidden": "unknown_field"}


def _refusal(exc: ValidationError, prefix: str = "") -> Refusal:
    error = exc.errors(include_url=False)[0]
    field = prefix + ".".join(str(part) for part in error["loc"])
    reason = REASON_OF_ERROR.get(error["type"], "invalid_value")
    if reason == "missing_field":
        detail = f"{field} is required"
    elif reason == "unknown_field":
        detail = f"{field} is not a field of this event"
    else:
        detail = f"{field}: {error['msg']}"
    return Refusal(reason, field, detail)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
