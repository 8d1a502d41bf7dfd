"""``POST /api/v1/decisions``: the banner a website or app slot shows now; ``POST /api/v1/decisions/clicks``:
the visitor clicked it. Machines use an API key with the ``decisions:ask`` scope; the example page uses the
signed-in marketer's session."""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions import service
from lottocrm.marketing.decisions.state import for_engine
from lottocrm.player_events.models import MAX_DEVICE_ID
from lottocrm.web.deps import Db, engine_of, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(tags=["decisions"], responses=API_ERRORS)
# SQLite takes one writer at a time, and a writer that finds the store locked sleeps in steps of up to 100 ms
# before it looks again: with tens of request threads that turned 4 ms decisions into 2 s waits (bench). The
# process's decisions queue on this lock instead, each waiting only for the one before it, and a decision
# whose time budget runs out in the queue answers the default banner from memory, without the store.
_SQLITE_DECISIONS = threading.Lock()


class _NoQueue:
    def acquire(self, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        return None


def _queue_of(request: Request) -> threading.Lock | _NoQueue:
    return _SQLITE_DECISIONS if engine_of(request).dialect.name == "sqlite" else _NoQueue()


Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    placement: Code = Field(description="The slot's code, as set up on the Banners page (e.g. home_top).")
    player_id: Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)] | None = Field(
        default=None, description="The signed-in player; omit for an anonymous visitor."
    )
    device_id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_DEVICE_ID)] | None = Field(
        default=None, description="The browser's or app's id; required for an anonymous visitor."
    )
    channel: Literal["website", "app"] = "website"

    @model_validator(mode="after")
    def _someone(self) -> DecisionIn:
        if self.player_id is None and self.device_id is None:
            raise ValueError("a decision needs a player_id, a device_id or both")
        return self


class BannerOut(BaseModel):
    offer: str | None = Field(description="The offer's code; null for the placement's default banner.")
    title: str
    text: str
    image_url: str | None
    link_url: str


class DecisionOut(BaseModel):
    decision_id: str = Field(description="Send it back with a click (POST /api/v1/decisions/clicks).")
    placement: str
    kind: Literal["offer", "default"]
    default_because: (
        Literal["contact_policy", "no_offer", "player_cap", "budget_spent", "time_budget"] | None
    ) = Field(description="Why the default banner (null for an offer).")
    banner: BannerOut


class ClickIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class ClickOut(BaseModel):
    recorded: bool = Field(description="False: this decision's click was already recorded.")


@router.post("/decisions", response_model=DecisionOut)
def decide(
    request: Request,
    principal: Annotated[Principal, require(Permission.DECISIONS_ASK)],
    body: DecisionIn,
) -> DecisionOut:
    """Choose the banner for a placement: an offer the player may receive under the contact policy, ranked
    by expected incremental value, within its budget and caps; otherwise the placement's default banner
    (a self-excluded player always gets it). The impression of an offer is recorded as a banner_impression
    event. Answers within 50 ms or gives the default banner."""
    engine = engine_of(request)
    deadline = service.Deadline(request.app.state.settings.decision_time_budget_ms / 1000)
    queue = _queue_of(request)
    if not queue.acquire(timeout=deadline.left()):
        late = service.default_from_memory(
            for_engine(engine), placement=body.placement, because="time_budget"
        )
        if late is not None:
            return _out(late)
        queue.acquire()
    try:
        with transaction(engine) as session:
            decision = service.decide(
                session,
                placement=body.placement,
                player_id=body.player_id,
                device_id=body.device_id,
                channel=body.channel,
                source=principal.actor,
                deadline=deadline,
            )
    finally:
        queue.release()
    return _out(decision)


def _out(decision: service.BannerDecision) -> DecisionOut:
    banner = decision.banner
    return DecisionOut(
        decision_id=decision.decision_id,
        placement=decision.placement,
        kind="default" if banner.offer is None else "offer",
        default_because=decision.default_because,  # type: ignore[arg-type]
        banner=BannerOut(
            offer=banner.offer,
            title=banner.title,
            text=banner.text,
            image_url=banner.image_url,
            link_url=banner.link_url,
        ),
    )


@router.post("/decisions/clicks", response_model=ClickOut)
def click(
    principal: Annotated[Principal, require(Permission.DECISIONS_ASK)], session: Db, body: ClickIn
) -> ClickOut:
    """Record a click on an offer's banner (a banner_click event naming the decision's offer)."""
    return ClickOut(
        recorded=service.record_click(session, decision_id=body.decision_id, source=principal.actor)
    )
