"""Micro-segments on a simulated operator: BIC settles below the cap instead of running to it.

The simulator's players differ continuously (Gamma purchase rates, Dirichlet game tastes), so there is no true
number of segments; what must not happen is the old behaviour, where spikes in the features (whole days, price
points, one-purchase-day buyers) made BIC fall until the largest k allowed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from lottocrm.analytics.clusters.gmm import ClusterOptions, cluster_players
from lottocrm.analytics.mart.build import MartOptions, mart_builder
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine
from lottocrm.lake.store import Lake
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import simulate

END = dt.date(2026, 10, 1)
CONFIG = SimulationConfig(players=4_000, seed=17, end=END, years=2)
MAX_K = 8


@pytest.fixture(scope="module")
def mart(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    root: Path = tmp_path_factory.mktemp("clusters-simulated")
    engine = make_engine(f"sqlite:///{root / 'crm.sqlite3'}")
    migrate.upgrade(engine)
    lake = Lake(root / "lake")
    simulate(CONFIG, engine=engine, lake=lake, truth_dir=root / "ground-truth", workers=1)
    with mart_builder(lake=lake, engine=engine, options=MartOptions(timezone="Europe/Moscow")) as builder:
        table = builder.build(END)
    engine.dispose()
    return table


def test_bic_chooses_fewer_segments_than_the_cap_on_a_simulated_lake(mart: pa.Table) -> None:
    result = cluster_players(mart, ClusterOptions(max_k=MAX_K, seed=0))
    assert result.k < MAX_K
    assert list(result.bic_by_k) == list(range(2, MAX_K + 1))
    # Every profile names its audience at least, and no two segments share a name.
    labels = [p.label for p in result.profiles]
    assert all(label.endswith("players") or label.endswith(")") for label in labels)
    assert len(set(labels)) == len(labels)
