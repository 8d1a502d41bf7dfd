"""Concurrent decisions on PostgreSQL never take an offer past its budget: threads race for the last
impressions of the best offer; exactly the budget is served, and the rest fall to the next offer."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import Engine, select

from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions import service
from lottocrm.marketing.decisions.models import BannerOffer
from lottocrm.marketing.decisions.state import DecisionState
from lottocrm.player_events.models import PlayerEvent
from marketing.decisions.helpers import PLACEMENT, banner_world

THREADS, EACH, BUDGET = 8, 12, 30


def test_concurrent_decisions_never_overspend(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks under concurrent writers: PostgreSQL (SQLite serialises every writer)")
    banner_world(engine, best={"budget": BUDGET}, second={"budget": 10_000})
    state = DecisionState()
    with transaction(engine) as session:
        state.catalogue(session)  # every thread starts from offers read while "best" had all its budget
    start = Barrier(THREADS)

    def visitor(thread: int) -> list[str | None]:
        start.wait()
        served = []
        for visit in range(EACH):
            with transaction(engine) as session:
                decision = service.decide(
                    session,
                    placement=PLACEMENT,
                    player_id=None,
                    device_id=f"t{thread}-v{visit}",
                    source="apikey:test",
                    state=state,
                    deadline=service.Deadline(10.0),
                )
            served.append(decision.banner.offer)
        return served

    with ThreadPoolExecutor(THREADS) as pool:
        served = [offer for batch in pool.map(visitor, range(THREADS)) for offer in batch]
    assert served.count("best") == BUDGET
    assert served.count("second") == THREADS * EACH - BUDGET
    with transaction(engine) as session:
        spent = dict(session.execute(select(BannerOffer.code, BannerOffer.spent)).all())
        stored = Counter(event["offer"] for event in session.scalars(select(PlayerEvent.properties)))
    assert spent["best"] == BUDGET and spent["second"] == THREADS * EACH - BUDGET
    assert stored == {"best": BUDGET, "second": THREADS * EACH - BUDGET}
