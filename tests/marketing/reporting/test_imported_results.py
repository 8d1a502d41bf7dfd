"""Results of imported history: the responses and revenue the other system recorded, measured as they are
(spend lift on revenue, no CUPED, no lake needed); without an intended control share the sample-ratio check
is marked as not made."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from helpers.factories import IMPORT
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.history.service import import_history
from lottocrm.marketing.reporting.service import campaign_results
from lottocrm.marketing.results.measure import measure_campaign
from lottocrm.settings import Settings

from ..history.conftest import add_players, write_history


def test_imported_revenue_is_measured_as_recorded(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    rng = random.Random(3)
    add_players(engine, range(1, 201))
    rows = []
    for pid in range(1, 201):
        treated = pid % 5 != 0
        responded = rng.random() < (0.3 if treated else 0.2)
        rows.append(
            {
                "player_id": pid,
                "campaign_code": "OLD-1",
                "campaign_name": "Весенняя акция",
                "arm": "treatment" if treated else "control",
                "sent_at": "2026-03-01T10:00:00Z",
                "responded": int(responded),
                "revenue_kopecks": rng.choice((10000, 25000, 50000)) if responded else 0,
                "stratum": "vip" if pid % 2 else "active",
            }
        )
    path = write_history(tmp_path / "old.csv", rows, tuple(rows[0]))
    empty_lake = Lake(tmp_path / "no-lake")
    with transaction(engine) as session:
        done = import_history(session, actor=IMPORT, path=path, lake=empty_lake, settings=settings)
    assert done.report.status == "loaded", done.report.describe()
    with transaction(engine) as session:
        found = campaign_results(session, campaign_id=done.campaigns[0].campaign_id, lake=empty_lake)
    expected = measure_campaign(
        treated=np.array([r["arm"] == "treatment" for r in rows]),
        responded=np.array([bool(r["responded"]) for r in rows]),
        spend=np.array([r["revenue_kopecks"] for r in rows], dtype=np.int64),
        segment=np.array([r["stratum"] for r in rows]),
        control_share=40 / 200,
    )
    assert found.measurement == expected
    assert found.measurement.spend is not None and found.measurement.spend_cuped is None
    assert found.control_share_basis == "observed" and found.response_rule.source == "imported"
    assert found.window_ends_at is None and not found.preliminary
    assert [d.to_dict() for d in found.delivery] == [
        {"arm": "treatment", "members": 160, "queued": 160, "sent": 160, "delivered": None, "failed": None},
        {"arm": "control", "members": 40, "queued": 0, "sent": 0, "delivered": None, "failed": None},
    ]
