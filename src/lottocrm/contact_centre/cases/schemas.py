"""What the cases API reads and answers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from lottocrm.contact_centre.cases.models import LINK_KINDS, PRIORITIES

Priority = Literal[PRIORITIES]  # type: ignore[valid-type]
LinkKind = Literal[LINK_KINDS]  # type: ignore[valid-type]
BIG = 2**63 - 1


class CaseIn(BaseModel):
    player_id: int = Field(ge=1, le=BIG)
    case_type: str = Field(max_length=40)
    subject: str = Field(max_length=200)
    priority: Priority = "normal"
    category: str | None = Field(default=None, max_length=40)
    team: str = Field(default="support", max_length=40)


class StateIn(BaseModel):
    state: str = Field(max_length=40)
    reminder_at: AwareDatetime | None = None


class AssignIn(BaseModel):
    owner_id: int | None = Field(default=None, ge=1, le=BIG)
    team: str | None = Field(default=None, max_length=40)


class PriorityIn(BaseModel):
    priority: Priority


class CaseLinkIn(BaseModel):
    kind: LinkKind
    id: int = Field(ge=1, le=BIG)


class MergeIn(BaseModel):
    into: int = Field(ge=1, le=BIG, description="The case this one is merged into.")


class TimerOut(BaseModel):
    due_at: dt.datetime | None
    breached: bool


class CaseOut(BaseModel):
    id: int
    player_id: int
    case_type: str
    priority: str
    state: str
    subject: str
    team_id: int
    owner_id: int | None
    merged_into_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    first_response_at: dt.datetime | None
    solved_at: dt.datetime | None
    next_due_at: dt.datetime | None
    first_response: TimerOut
    update: TimerOut
    resolution: TimerOut
    first_response_minutes: int | None
    resolution_minutes: int | None
    escalated_at: dt.datetime | None
    links: list[CaseLinkIn]


class CasePage(BaseModel):
    cases: list[CaseOut]
    next_before: int | None = Field(description="Pass as ``before`` for the next (older) page.")
