"""Advanced days continue the run's model: the same buying level (seasonality aside) for players and
walk-ins, nobody buying who never buys or had lapsed, and players who lapse during the advance stop there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lottocrm.db import migrate
from lottocrm.db.engine import make_engine
from lottocrm.lake.store import Lake
from lottocrm.simulator.advance import advance
from lottocrm.simulator.advance_world import LAPSED, NEVER
from lottocrm.simulator.campaign_effects import MEMBER_COLUMNS
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import simulate

END = dt.date(2026, 3, 2)
NO_CAMPAIGNS = pa.table(
    {
        name: pa.array([], kind)
        for name, kind in zip(
            MEMBER_COLUMNS,
            (pa.int64(), pa.int64(), pa.bool_(), pa.string(), pa.timestamp("us", tz="UTC"), pa.int64()),
            strict=True,
        )
    }
)


def test_advanced_days_continue_the_model(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate.upgrade(engine)
    lake, truth_dir = Lake(tmp_path / "lake"), tmp_path / "ground-truth"
    simulate(
        SimulationConfig(players=3000, seed=2, end=END, years=1),
        engine=engine,
        lake=lake,
        truth_dir=truth_dir,
    )
    advance(truth_dir=truth_dir, engine=engine, lake=lake, days=7, members=NO_CAMPAIGNS)
    engine.dispose()

    connection = lake.connect(duckdb.connect())
    connection.register("truth", pq.read_table(truth_dir / "players"))

    def week(first: dt.date) -> tuple[int, int, int]:
        low = dt.datetime.combine(first, dt.time(), dt.UTC)
        row = connection.sql(
            "SELECT count(DISTINCT (player_id, sold_at)) FILTER (player_id IS NOT NULL), "
            "count(*) FILTER (player_id IS NULL), count(*) "
            "FROM tickets WHERE sold_at >= $low AND sold_at < $high",
            params={"low": low, "high": low + dt.timedelta(days=7)},
        ).fetchall()[0]
        return int(row[0]), int(row[1]), int(row[2])

    before, after = week(END - dt.timedelta(days=7)), week(END)
    # Same weekdays; March's month factor is 1.0 against February's 0.9, so about 1.11 times the occasions.
    assert 0.9 < after[0] / before[0] < 1.35, (before, after)
    # Walk-ins carry on at the run's rate (uniform in operational time, so the same 1.11 applies).
    assert 0.9 < after[1] / before[1] < 1.35, (before, after)

    state = pq.read_table(truth_dir / "advance" / "state.parquet")
    status, lapsed_at = state["status"].to_numpy(), state["lapsed_at"].to_numpy()
    buyers_after = connection.sql(
        "SELECT player_id, max(sold_at) AS last FROM tickets WHERE player_id IS NOT NULL AND sold_at >= $end "
        "GROUP BY player_id",
        params={"end": dt.datetime.combine(END, dt.time(), dt.UTC)},
    ).to_arrow_table()
    index = buyers_after["player_id"].to_numpy() - 1
    assert (status[index] != NEVER).all()
    truth = pq.read_table(truth_dir / "players", columns=["player_id", "lapsed_at"]).sort_by("player_id")
    lapsed_before = truth["lapsed_at"].is_valid().to_numpy(zero_copy_only=False)
    assert not lapsed_before[index].any()
    # Players who lapsed during the advance made no purchase after their lapse.
    lapsed_now = (status[index] == LAPSED) & (lapsed_at[index] >= 0)
    last = buyers_after["last"].cast(pa.int64()).to_numpy()
    assert lapsed_now.any() and np.all(last[lapsed_now] <= lapsed_at[index][lapsed_now])
