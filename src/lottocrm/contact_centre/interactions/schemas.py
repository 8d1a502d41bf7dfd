"""What the interactions API reads and answers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from lottocrm.contact_centre.interactions.models import CHANNELS, DIRECTIONS, LINK_KINDS

Channel = Literal[CHANNELS]  # type: ignore[valid-type]
Direction = Literal[DIRECTIONS]  # type: ignore[valid-type]
LinkKind = Literal[LINK_KINDS]  # type: ignore[valid-type]
BigIdValue = Field(ge=1, le=2**63 - 1)


class LinkIn(BaseModel):
    kind: LinkKind
    id: int = BigIdValue


class InteractionIn(BaseModel):
    player_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    channel: Channel
    direction: Direction
    queue: str = Field(max_length=40)
    started_at: AwareDatetime
    talk_seconds: int = Field(default=0, ge=0, le=86_400)
    hold_seconds: int = Field(default=0, ge=0, le=86_400)
    acw_seconds: int = Field(default=0, ge=0, le=86_400, description="After-call work.")
    wrap_code: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=10_000)
    recording_ref: str | None = Field(default=None, max_length=300)
    case_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    links: list[LinkIn] = Field(default_factory=list, max_length=50)


class InteractionOut(BaseModel):
    id: int
    player_id: int | None
    channel: str
    direction: str
    queue: str
    operator: str
    started_at: dt.datetime
    talk_seconds: int
    hold_seconds: int
    acw_seconds: int
    wrap_code: str | None
    notes: str | None
    recording_ref: str | None
    case_id: int | None
    links: list[LinkIn]
