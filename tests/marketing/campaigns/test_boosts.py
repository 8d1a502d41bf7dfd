"""Boost windows: each bad input refused with what was wrong and nothing written; an open window yields its
segment's current tree for the selection, a removed or closed one nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.errors import ServiceError
from lottocrm.marketing.boosts import service as boosts
from lottocrm.marketing.boosts.models import BoostWindow
from lottocrm.marketing.segments import service as segments
from lottocrm.marketing.segments.conditions import parse

from .helpers import AUTHOR, segment

# 10 December, noon in Moscow: the New Year window runs 25 to 31 December.
NOW = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)
VIP = {"field": "record.segment", "op": "eq", "value": "vip"}
FIRST, LAST = dt.date(2026, 12, 25), dt.date(2026, 12, 31)


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def _add(engine: Engine, segment_id: int, **more) -> int:  # type: ignore[no-untyped-def]
    arguments = {"name": "Новогодний тираж", "first_day": FIRST, "last_day": LAST, "extra_per_day": 1}
    arguments.update(more)
    with transaction(engine) as session:
        return boosts.add_window(session, actor=AUTHOR, segment_id=segment_id, **arguments).id


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"last_day": FIRST - dt.timedelta(days=1)}, "ends (2026-12-24) before it starts (2026-12-25)"),
        ({"last_day": FIRST + dt.timedelta(days=62)}, "at most 62 days"),
        ({"first_day": dt.date(2026, 12, 1), "last_day": dt.date(2026, 12, 9)}, "in the past"),
        ({"extra_per_day": 0}, "1 to 5 campaigns a day, not 0"),
        ({"extra_per_day": 6}, "1 to 5 campaigns a day, not 6"),
        ({"name": "   "}, "name is 1 to 200 characters"),
    ],
)
def test_a_bad_window_is_refused_and_nothing_is_written(engine: Engine, change: dict, says: str) -> None:
    segment_id = segment(engine, VIP)
    with pytest.raises(boosts.BoostInputError) as refused:
        _add(engine, segment_id, **change)
    assert says in str(refused.value)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(BoostWindow)) == 0
        assert session.scalar(select(func.count()).where(AuditEvent.action == "campaign.boost_add")) == 0


def test_an_unknown_or_archived_segment_is_refused(engine: Engine) -> None:
    with pytest.raises(ServiceError, match="segment 999"):
        _add(engine, 999)
    segment_id = segment(engine, VIP)
    with transaction(engine) as session:
        segments.archive_segment(session, actor=AUTHOR, segment_id=segment_id)
    with pytest.raises(boosts.BoostInputError, match="archived"):
        _add(engine, segment_id)


def test_only_an_open_window_boosts_and_with_its_segments_current_tree(engine: Engine) -> None:
    segment_id = segment(engine, VIP)
    window_id = _add(engine, segment_id, extra_per_day=2)
    at_risk = {"field": "record.segment", "op": "eq", "value": "at_risk"}
    with transaction(engine) as session:
        segments.save_version(session, actor=AUTHOR, segment_id=segment_id, definition=at_risk)
    inside = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)  # 23:00 on the 31st in Moscow
    after = dt.datetime(2026, 12, 31, 21, 30, tzinfo=dt.UTC)  # 00:30 on 1 January in Moscow
    with transaction(engine) as session:
        assert boosts.open_boosts(session, NOW) == []
        (boost,) = boosts.open_boosts(session, inside)
        assert (boost.window_id, boost.extra_per_day, boost.node) == (window_id, 2, parse(at_risk))
        assert boosts.open_boosts(session, after) == []
        boosts.remove_window(session, actor=AUTHOR, window_id=window_id)
        assert boosts.open_boosts(session, inside) == []
        with pytest.raises(boosts.BoostNotFound):
            boosts.remove_window(session, actor=AUTHOR, window_id=window_id)
