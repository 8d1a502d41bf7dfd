"""Boost windows: days when players interested in an event may receive more campaigns than the daily budget.

The reference operator raises its contact schedule around big events (the New Year draw, special draws) only
for players whose history shows interest in such events, not for everyone. A boost window says so: from one
operator day to another, the players of a saved segment (e.g. "played last year's New Year draw") may be
chosen by ``extra_per_day`` more campaigns a day. The segment is read at its current version when a run is
chosen, so the interested players are those of the day. Windows are removed, never edited: a run chosen under
a window can always say which one it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.errors import NotFound, ServiceError
from lottocrm.marketing.boosts.models import BoostWindow
from lottocrm.marketing.segments.conditions import Node
from lottocrm.marketing.segments.service import current_version, get_segment, tree

MAX_EXTRA = 5
MAX_DAYS = 62


class BoostInputError(ServiceError):
    code, http_status = "boost_input_invalid", 422


class BoostNotFound(NotFound):
    code = "boost_not_found"


@dataclass(frozen=True)
class Boost:
    """An open window as the selection uses it: who is interested, how many more campaigns they may get."""

    window_id: int
    node: Node
    extra_per_day: int


def add_window(
    session: Session,
    *,
    actor: Actor,
    name: str,
    first_day: dt.date,
    last_day: dt.date,
    extra_per_day: int,
    segment_id: int,
) -> BoostWindow:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 200:
        raise BoostInputError("a boost window's name is 1 to 200 characters")
    if last_day < first_day:
        raise BoostInputError(
            "the boost window ends (%(last)s) before it starts (%(first)s)", first=first_day, last=last_day
        )
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise BoostInputError("a boost window lasts at most %(limit)s days", limit=MAX_DAYS)
    if last_day < clock.operator_day():
        raise BoostInputError("the boost window ended on %(last)s, in the past", last=last_day)
    if not 1 <= extra_per_day <= MAX_EXTRA:
        raise BoostInputError(
            "a boost adds 1 to %(limit)s campaigns a day, not %(extra)s", limit=MAX_EXTRA, extra=extra_per_day
        )
    segment = get_segment(session, segment_id)
    if segment.archived_at is not None:
        raise BoostInputError("segment %(name)s is archived", name=segment.name)
    window = BoostWindow(
        name=cleaned,
        first_day=first_day,
        last_day=last_day,
        extra_per_day=extra_per_day,
        segment_id=segment.id,
        created_at=clock.now(),
        created_by=actor.name,
    )
    session.add(window)
    session.flush()
    record(
        session,
        actor=actor,
        action="campaign.boost_add",
        detail={
            "boost_id": window.id,
            "name": cleaned,
            "first_day": first_day.isoformat(),
            "last_day": last_day.isoformat(),
            "extra_per_day": extra_per_day,
            "segment_id": segment.id,
        },
    )
    return window


def remove_window(session: Session, *, actor: Actor, window_id: int) -> BoostWindow:
    window = session.get(BoostWindow, window_id)
    if window is None or window.removed_at is not None:
        raise BoostNotFound("boost window %(id)s does not exist", id=window_id)
    window.removed_at = clock.now()
    record(session, actor=actor, action="campaign.boost_remove", detail={"boost_id": window.id})
    return window


def windows(
    session: Session, *, include_past: bool = False, offset: int = 0, limit: int | None = None
) -> list[BoostWindow]:
    """The windows not removed, soonest first: those not yet over, or with ``include_past`` all of them."""
    query = select(BoostWindow).where(BoostWindow.removed_at.is_(None))
    if not include_past:
        query = query.where(BoostWindow.last_day >= clock.operator_day())
    query = query.order_by(BoostWindow.first_day, BoostWindow.id).offset(offset).limit(limit)
    return list(session.scalars(query))


def open_boosts(session: Session, at: dt.datetime) -> list[Boost]:
    """The windows open on ``at``'s operator day, each with its segment's current tree."""
    day = clock.operator_day(at)
    found = session.scalars(
        select(BoostWindow)
        .where(BoostWindow.removed_at.is_(None), BoostWindow.first_day <= day, BoostWindow.last_day >= day)
        .order_by(BoostWindow.id)
    ).all()
    return [Boost(w.id, tree(current_version(session, w.segment_id)), w.extra_per_day) for w in found]
