"""Churn risk crossings: entering at the high cut-off, leaving only 0.1 below it, counted once per day in
the order of days, announced once per run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from helpers.domain_events import emitted
from lottocrm.analytics.churn.crossings import count_crossings
from lottocrm.analytics.churn.models import ChurnAlert, ChurnCrossing, ChurnScore
from lottocrm.analytics.events import ChurnRiskCrossed
from lottocrm.db.engine import transaction
from lottocrm.events.catalog import read_payload

DAY1, DAY2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
VERSION = "m1"


def _score(engine: Engine, day: dt.date, scores: dict[int, float]) -> None:
    with transaction(engine) as session:
        session.add_all(
            ChurnScore(as_of=day, model_version=VERSION, player_id=pid, probability=p, risk_band="x")
            for pid, p in scores.items()
        )


def _count(engine: Engine, day: dt.date):  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return count_crossings(session, as_of=day, model_version=VERSION, enter_at=0.6)


def _state(engine: Engine) -> tuple[dict[int, bool], set[tuple[dt.date, int, str]]]:
    with transaction(engine) as session:
        alerts = {a.player_id: a.high for a in session.scalars(select(ChurnAlert))}
        crossings = {(c.as_of, c.player_id, c.direction) for c in session.scalars(select(ChurnCrossing))}
    return alerts, crossings


def test_a_score_wobbling_around_the_cut_off_crosses_once(engine: Engine, listening) -> None:  # type: ignore[no-untyped-def]
    _score(engine, DAY1, {1: 0.65, 2: 0.55, 3: 0.70, 4: 0.90})
    first = _count(engine, DAY1)
    assert (first.entered, first.left) == (3, 0)
    # Day 2: 1 falls to 0.55 (still above 0.5: stays high), 3 falls to 0.45 (leaves), 2 reaches 0.62
    # (enters), 4 is not scored (keeps its state).
    _score(engine, DAY2, {1: 0.55, 2: 0.62, 3: 0.45})
    second = _count(engine, DAY2)
    assert (second.entered, second.left) == (1, 1)
    alerts, crossings = _state(engine)
    assert alerts == {1: True, 2: True, 3: False, 4: True}
    assert crossings == {
        (DAY1, 1, "entered"),
        (DAY1, 3, "entered"),
        (DAY1, 4, "entered"),
        (DAY2, 2, "entered"),
        (DAY2, 3, "left"),
    }
    # The same day again, or an earlier one, counts nothing and changes nothing.
    assert _count(engine, DAY2) is None and _count(engine, DAY1) is None
    assert _state(engine) == (alerts, crossings)
    announced = [read_payload(event) for event in emitted(engine)]
    assert announced == [
        ChurnRiskCrossed(as_of=DAY1, model_version=VERSION, entered=3, left=0),
        ChurnRiskCrossed(as_of=DAY2, model_version=VERSION, entered=1, left=1),
    ]
