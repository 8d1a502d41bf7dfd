"""When a campaign's runs start, and the name of each occurrence (the run's unique key).

``once``: at the set moment, occurrence "once". ``cron``: each fire of the cron line in the operator's zone
until ``until``, occurrence the fire's moment in UTC. ``draw``: each scheduled draw of the game,
``hours_before`` hours before it is drawn, occurrence "draw:<id>" — a draw moved by the operator keeps its
occurrence, so it is never sent twice. ``jackpot``: no moment of its own — the jackpot watcher
(``jackpot.py``) launches occurrence "jackpot:<draw id>" when the next draw's jackpot exceeds the threshold;
the campaign waits with the next draw's moment as its next run, and ends after ``until``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.catalog.models import Draw, Game
from lottocrm.jobs.schedules import next_fire_after
from lottocrm.marketing.campaigns.definition import CampaignInputError, Schedule


@dataclass(frozen=True)
class Occurrence:
    key: str
    at: dt.datetime


def next_occurrence(session: Session, schedule: Schedule, *, after: dt.datetime) -> Occurrence | None:
    """The first occurrence strictly after ``after`` (None: the schedule has none left)."""
    if schedule.kind == "once":
        assert schedule.at is not None
        at = schedule.at.astimezone(dt.UTC)
        return Occurrence("once", at) if at > after else None
    if schedule.kind == "cron":
        assert schedule.cron is not None
        at = next_fire_after(schedule.cron, clock.operator_zone().key, after)
        if schedule.until is not None and at > schedule.until:
            return None
        return Occurrence(at.isoformat(timespec="minutes"), at)
    if schedule.kind == "jackpot":
        return _next_draw_watched(session, schedule, after=after)
    assert schedule.game_id is not None and schedule.hours_before is not None
    lead = dt.timedelta(hours=schedule.hours_before)
    draw = session.execute(
        select(Draw.id, Draw.draw_at)
        .where(Draw.game_id == schedule.game_id, Draw.status == "scheduled", Draw.draw_at > after + lead)
        .order_by(Draw.draw_at)
        .limit(1)
    ).first()
    if draw is None or (schedule.until is not None and draw.draw_at - lead > schedule.until):
        return None
    return Occurrence(f"draw:{draw.id}", draw.draw_at - lead)


def _next_draw_watched(session: Session, schedule: Schedule, *, after: dt.datetime) -> Occurrence | None:
    """A jackpot campaign waits for the game's next scheduled draw (its key names the draw, so a draw whose
    jackpot is watched is launched for at most once)."""
    draw = session.execute(
        select(Draw.id, Draw.draw_at)
        .where(Draw.game_id == schedule.game_id, Draw.status == "scheduled", Draw.draw_at > after)
        .order_by(Draw.draw_at)
        .limit(1)
    ).first()
    if draw is None or (schedule.until is not None and after > schedule.until):
        return None
    return Occurrence(f"jackpot:{draw.id}", draw.draw_at)


def due_key(session: Session, schedule: Schedule, *, due: dt.datetime | None) -> str:
    """The key of the occurrence a scheduled campaign waits for (a one-off launched early is still "once")."""
    if schedule.kind == "once":
        return "once"
    moment = due or clock.now()
    found = next_occurrence(session, schedule, after=moment - dt.timedelta(microseconds=1))
    return found.key if found is not None else moment.isoformat(timespec="minutes")


def first_occurrence(session: Session, schedule: Schedule, *, now: dt.datetime) -> Occurrence:
    """The occurrence an approval schedules; a schedule with none ahead is refused, saying why."""
    if schedule.kind == "draw" and session.get(Game, schedule.game_id) is None:
        raise CampaignInputError(
            "game %(game)s does not exist: a draw schedule needs one", game=schedule.game_id
        )
    if schedule.kind == "jackpot" and session.get(Game, schedule.game_id) is None:
        raise CampaignInputError(
            "game %(game)s does not exist: a jackpot trigger needs one", game=schedule.game_id
        )
    found = next_occurrence(session, schedule, after=now)
    if found is not None:
        return found
    if schedule.kind == "once":
        raise CampaignInputError(
            "the campaign is scheduled for %(at)s, which has passed: set a moment ahead",
            at=schedule.at.isoformat() if schedule.at else "",
        )
    if schedule.kind in ("draw", "jackpot"):
        raise CampaignInputError(
            "game %(game)s has no scheduled draw ahead to send before", game=schedule.game_id
        )
    raise CampaignInputError("the cron line has no fire before the schedule ends")
