"""Churn risk crossings with hysteresis: after a scoring run, who entered high risk and who left it.

A player enters when their probability reaches the high band's cut-off and leaves only when it falls
``HYSTERESIS`` below it, so a score that wobbles around the cut-off from night to night crosses once. A
player not scored in a run (no purchase yet) keeps their state. The crossings are counted once per
scoring day, in the order of days: a rerun of the same day, or a run of an earlier day after a later one,
counts nothing (the state has moved past it) and announces nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.churn.models import ChurnAlert, ChurnCrossing, ChurnCrossingRun, ChurnScore
from lottocrm.analytics.events import ChurnRiskCrossed
from lottocrm.events.outbox import emit, event_id_for

HYSTERESIS = 0.1


def count_crossings(
    session: Session, *, as_of: dt.date, model_version: str, enter_at: float
) -> ChurnCrossingRun | None:
    """Write this run's crossings and move the alerts; None when the day was counted already or is older
    than the last day counted."""
    last = session.scalar(select(func.max(ChurnCrossingRun.as_of)))
    if last is not None and as_of <= last:
        return None
    leave_below = enter_at - HYSTERESIS
    scores = (
        select(ChurnScore.player_id, ChurnScore.probability)
        .where(ChurnScore.as_of == as_of, ChurnScore.model_version == model_version)
        .subquery("scores")
    )
    joined = scores.outerjoin(ChurnAlert, ChurnAlert.player_id == scores.c.player_id)
    entering = and_(
        scores.c.probability >= enter_at, or_(ChurnAlert.player_id.is_(None), ChurnAlert.high.is_(False))
    )
    leaving = and_(ChurnAlert.high.is_(True), scores.c.probability < leave_below)
    for direction, condition in (("entered", entering), ("left", leaving)):
        session.execute(
            insert(ChurnCrossing).from_select(
                ["as_of", "model_version", "player_id", "direction", "probability"],
                select(
                    literal(as_of),
                    literal(model_version),
                    scores.c.player_id,
                    literal(direction),
                    scores.c.probability,
                )
                .select_from(joined)
                .where(condition),
            )
        )
    this_run = and_(ChurnCrossing.as_of == as_of, ChurnCrossing.model_version == model_version)
    crossed = select(ChurnCrossing.player_id).where(this_run)
    session.execute(delete(ChurnAlert).where(ChurnAlert.player_id.in_(crossed)))
    session.execute(
        insert(ChurnAlert).from_select(
            ["player_id", "high", "since"],
            select(ChurnCrossing.player_id, ChurnCrossing.direction == "entered", literal(as_of)).where(
                this_run
            ),
        )
    )
    counts = dict(
        session.execute(
            select(ChurnCrossing.direction, func.count()).where(this_run).group_by(ChurnCrossing.direction)
        ).all()
    )
    run = ChurnCrossingRun(
        as_of=as_of,
        model_version=model_version,
        enter_at=enter_at,
        leave_below=leave_below,
        entered=counts.get("entered", 0),
        left=counts.get("left", 0),
        counted_at=clock.now(),
    )
    session.add(run)
    if run.entered or run.left:
        emit(
            session,
            ChurnRiskCrossed(as_of=as_of, model_version=model_version, entered=run.entered, left=run.left),
            event_id=event_id_for("churn", as_of.isoformat(), model_version),
        )
    return run
