"""Publish a draw's results and change a coming draw's jackpot, each once, audited and announced.

The gaming system may send the same report twice (a retry after a timeout): the same results or the same
jackpot again change nothing and announce nothing. Results that differ from those already published are
refused — a correction is a matter for people, not a silent overwrite of what players were told.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.catalog.models import Draw, Game
from lottocrm.errors import Conflict, NotFound, ServiceError
from lottocrm.events.outbox import emit, event_id_for
from lottocrm.ingest.events import DrawResultsPublished, JackpotChanged

MAX_NUMBERS = 100
# A jackpot above 100 billion roubles is a unit mistake, not a rollover.
MAX_JACKPOT_KOPECKS = 10**13


class DrawNotFound(NotFound):
    code = "draw_not_found"


class DrawStateConflict(Conflict):
    code = "draw_state_conflict"


class InvalidDrawReport(ServiceError):
    code = "invalid_draw_report"


@dataclass(frozen=True)
class Outcome:
    draw: Draw
    game: Game
    changed: bool


def publish_results(
    session: Session, *, actor: Actor, draw_id: int, numbers: Sequence[int], jackpot_won: bool
) -> Outcome:
    if not numbers or len(numbers) > MAX_NUMBERS or any(n < 0 for n in numbers):
        raise InvalidDrawReport("numbers: from 1 to %(most)s drawn numbers, none negative", most=MAX_NUMBERS)
    draw, game = _draw(session, draw_id)
    results = {"numbers": list(numbers), "jackpot_won": jackpot_won}
    if draw.status == "drawn":
        if draw.results == results:
            return Outcome(draw, game, changed=False)
        raise DrawStateConflict(
            "draw %(draw)s of %(game)s has other results already; a correction is made by people, not "
            "by a second report",
            draw=draw.number,
            game=game.code,
        )
    if draw.status == "cancelled":
        raise DrawStateConflict("draw %(draw)s of %(game)s was cancelled", draw=draw.number, game=game.code)
    now = clock.now()
    if draw.draw_at > now + dt.timedelta(minutes=5):
        raise DrawStateConflict(
            "draw %(draw)s of %(game)s takes place at %(at)s; its results cannot be in yet",
            draw=draw.number,
            game=game.code,
            at=draw.draw_at.isoformat(),
        )
    draw.status, draw.results = "drawn", results
    record(session, actor=actor, action="ingest.draw_results", detail={"draw_id": draw.id, **results})
    emit(
        session,
        DrawResultsPublished(
            draw_id=draw.id,
            game_id=game.id,
            game_code=game.code,
            number=draw.number,
            draw_at=draw.draw_at,
            jackpot_won=jackpot_won,
        ),
        event_id=event_id_for("draw", str(draw.id), "results"),
    )
    return Outcome(draw, game, changed=True)


def set_jackpot(session: Session, *, actor: Actor, draw_id: int, jackpot_kopecks: int) -> Outcome:
    if not 0 <= jackpot_kopecks <= MAX_JACKPOT_KOPECKS:
        raise InvalidDrawReport(
            "jackpot_kopecks: from 0 to %(most)s (kopecks, not roubles)", most=MAX_JACKPOT_KOPECKS
        )
    draw, game = _draw(session, draw_id)
    if draw.status != "scheduled" or draw.draw_at <= clock.now():
        raise DrawStateConflict(
            "draw %(draw)s of %(game)s is at %(at)s (%(status)s); only a coming draw's jackpot changes",
            draw=draw.number,
            game=game.code,
            at=draw.draw_at.isoformat(),
            status=draw.status,
        )
    previous = draw.jackpot_kopecks
    if previous == jackpot_kopecks:
        return Outcome(draw, game, changed=False)
    draw.jackpot_kopecks = jackpot_kopecks
    record(
        session,
        actor=actor,
        action="ingest.jackpot",
        detail={"draw_id": draw.id, "previous_kopecks": previous, "jackpot_kopecks": jackpot_kopecks},
    )
    emit(
        session,
        JackpotChanged(
            draw_id=draw.id,
            game_id=game.id,
            game_code=game.code,
            number=draw.number,
            draw_at=draw.draw_at,
            previous_kopecks=previous,
            jackpot_kopecks=jackpot_kopecks,
        ),
        # One event per amount reached: a retried report is announced once, a later rise again.
        event_id=event_id_for("draw", str(draw.id), "jackpot", str(previous), str(jackpot_kopecks)),
    )
    return Outcome(draw, game, changed=True)


def _draw(session: Session, draw_id: int) -> tuple[Draw, Game]:
    # FOR UPDATE: two reports of one draw at once are applied one after the other (PostgreSQL; SQLite
    # serialises writers anyway).
    found = session.execute(
        select(Draw, Game).join(Game, Game.id == Draw.game_id).where(Draw.id == draw_id).with_for_update()
    ).first()
    if found is None:
        raise DrawNotFound("no draw %(draw)s", draw=draw_id)
    return found[0], found[1]
