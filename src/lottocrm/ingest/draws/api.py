"""The gaming system's reports on draws: ``POST /api/v1/draws/{id}/results`` and ``PUT …/jackpot``, with an
API key scoped to ``draws:publish``. Sending the same report again is answered as before and changes
nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.ingest.draws import service
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/draws", tags=["draws"], responses=API_ERRORS)
CanPublish = Annotated[Principal, require(Permission.DRAWS_PUBLISH)]
DrawId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ResultsIn(BaseModel):
    numbers: list[Annotated[int, Field(strict=True)]] = Field(description="The drawn numbers, in order.")
    jackpot_won: bool = Field(strict=True, description="Whether someone won the jackpot.")


class JackpotIn(BaseModel):
    jackpot_kopecks: int = Field(strict=True, description="The draw's jackpot, in kopecks.")


class DrawOut(BaseModel):
    draw_id: int
    game: str
    number: int
    status: str
    jackpot_kopecks: int
    changed: bool = Field(description="False when the same report had been applied already.")


def _out(outcome: service.Outcome) -> DrawOut:
    draw = outcome.draw
    return DrawOut(
        draw_id=draw.id,
        game=outcome.game.code,
        number=draw.number,
        status=draw.status,
        jackpot_kopecks=draw.jackpot_kopecks,
        changed=outcome.changed,
    )


@router.post("/{draw_id:int}/results", response_model=DrawOut)
def publish_results(
    request: Request, principal: CanPublish, session: Db, draw_id: DrawId, body: ResultsIn
) -> DrawOut:
    """Mark the draw drawn with its results; announced to journeys as ``ingest.draw_results_published``."""
    outcome = service.publish_results(
        session, actor=acting(request), draw_id=draw_id, numbers=body.numbers, jackpot_won=body.jackpot_won
    )
    return _out(outcome)


@router.put("/{draw_id:int}/jackpot", response_model=DrawOut)
def set_jackpot(
    request: Request, principal: CanPublish, session: Db, draw_id: DrawId, body: JackpotIn
) -> DrawOut:
    """Set a coming draw's jackpot; a new amount is announced as ``ingest.jackpot_changed``."""
    outcome = service.set_jackpot(
        session, actor=acting(request), draw_id=draw_id, jackpot_kopecks=body.jackpot_kopecks
    )
    return _out(outcome)
