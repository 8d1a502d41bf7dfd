"""Campaign results benchmark: the report of a 700 k-member campaign over a synthetic lake.

    .venv/bin/python bench/campaign_results_bench.py [--players 2000000] [--days 730] [--members 700000]
        [--repeat 3] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--skip-sqlite]

The whole ``campaign_results`` call — members of both arms read from the store, each member's response,
spend and pre-period spend read from the lake in one DuckDB query, delivery per arm, the statistics — timed
against the raw engine in the same run: the members fetched with the driver's own cursor plus the same lake
aggregation as one DuckDB query over an Arrow table already in memory, the least any implementation must do.
The defaults are the issue's goal (700 k members, ~10⁸ tickets); run it small on a loaded machine
(``--players 20000 --members 7000``) only to see it work. The lake is written once per size and reused
(bench/synthetic_lake.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
from scratch_db import on_each_dialect
from sqlalchemy import Engine, insert
from synthetic_lake import AS_OF, synthetic_lake

from lottocrm.db.engine import transaction
from lottocrm.db.hash_unit import hash_unit, threshold
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.marketing.reporting.service import campaign_results
from lottocrm.players.models import Player

# The campaign went out three weeks before the lake's last day, so its 14-day window is closed.
SENT = dt.datetime.combine(AS_OF - dt.timedelta(days=21), dt.time(9), tzinfo=dt.UTC)
WINDOW_DAYS = 14
INSERT_ROWS = 50_000
CONTROL = threshold(0.1)
RAW_LAKE_QUERY = """
SELECT m.member,
       bool_or(t.sold_at >= m.assigned_at AND t.game_id = 1) AS responded,
       sum(CASE WHEN t.sold_at >= m.assigned_at THEN t.price_kopecks ELSE 0 END) AS spend,
       sum(CASE WHEN t.sold_at < m.assigned_at THEN t.price_kopecks ELSE 0 END) AS pre_spend
FROM members m JOIN tickets t ON t.player_id = m.player_id
 AND t.sold_at >= m.assigned_at - INTERVAL 14 DAY AND t.sold_at < m.assigned_at + INTERVAL 14 DAY
GROUP BY m.member
"""


def _campaign(engine: Engine, members: int) -> int:
    """Players 1…members, one sent campaign over all of them with a 10 % control by the portable hash."""
    started = time.perf_counter()
    with transaction(engine) as session:
        for first in range(1, members + 1, INSERT_ROWS):
            ids = range(first, min(first + INSERT_ROWS, members + 1))
            session.execute(
                insert(Player),
                [
                    {
                        "id": pid,
                        "last_name": "Игрок",
                        "first_name": str(pid),
                        "search_name": f"игрок {pid}",
                        "registered_at": SENT - dt.timedelta(days=400),
                        "registration_channel": "website",
                        "age_verified": True,
                        "under_age": False,
                        "status": "active",
                        "created_at": SENT - dt.timedelta(days=400),
                    }
                    for pid in ids
                ],
            )
        campaign = Campaign(
            name="bench",
            kind="one_off",
            status="done",
            definition={
                "channels": ["sms"],
                "variants": [{"name": "A", "template_id": 1}],
                "control_share": 0.1,
                "response": {"kind": "purchase", "game_id": 1, "window_days": WINDOW_DAYS},
                "schedule": {"kind": "once", "at": SENT.isoformat()},
            },
            created_at=SENT,
            created_by="bench",
        )
        session.add(campaign)
        session.flush()
        run = CampaignRun(campaign_id=campaign.id, occurrence="once", status="done", started_at=SENT)
        session.add(run)
        session.flush()
        for first in range(1, members + 1, INSERT_ROWS):
            session.execute(
                insert(CampaignMember),
                [
                    {
                        "run_id": run.id,
                        "player_id": pid,
                        "arm": "control" if hash_unit("bench", pid) < CONTROL else "treatment",
                        "stratum": ("active", "at_risk", "sleeping")[pid % 3] + f":{pid % 10}",
                        "assigned_at": SENT + dt.timedelta(seconds=pid % 3600),
                    }
                    for pid in range(first, min(first + INSERT_ROWS, members + 1))
                ],
            )
        campaign_id = campaign.id
    print(f"  campaign of {members:,} members written in {time.perf_counter() - started:.1f} s", flush=True)
    return campaign_id


def _raw(engine: Engine, lake: Lake) -> None:
    """The least work: the members through the driver's cursor, the lake aggregation as one query."""
    with engine.connect() as connection:
        cursor = connection.exec_driver_sql(
            "SELECT player_id, arm, assigned_at FROM campaign_members ORDER BY player_id"
        ).cursor
        rows = cursor.fetchall()
    members = pa.table(
        {
            "member": pa.array(range(len(rows)), pa.int64()),
            "player_id": pa.array([r[0] for r in rows], pa.int64()),
            "assigned_at": pa.array([SENT] * len(rows), pa.timestamp("us", tz="UTC")),
        }
    )
    connection = lake.connect(duckdb.connect())
    try:
        connection.register("members", members)
        connection.sql(RAW_LAKE_QUERY).to_arrow_table()
    finally:
        connection.close()


def _best(function, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=2_000_000, help="players in the synthetic lake")
    parser.add_argument("--days", type=int, default=730, help="days of tickets in the synthetic lake")
    parser.add_argument("--members", type=int, default=700_000, help="campaign members (players 1…N)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to measure on as well")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "lottocrm-bench")
    args = parser.parse_args()
    if args.members > args.players:
        parser.error("--members cannot exceed --players: members are players of the lake")
    args.folder.mkdir(parents=True, exist_ok=True)
    lake = synthetic_lake(args.folder, args.players, args.days)
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"lake: {lake.row_count('tickets'):,} tickets of {args.players:,} players over {args.days} days")

    def measure(engine: Engine, label: str) -> None:
        campaign_id = _campaign(engine, args.members)

        def ours() -> None:
            with transaction(engine) as session:
                campaign_results(session, campaign_id=campaign_id, lake=lake)

        mine, raw = _best(ours, args.repeat), _best(lambda: _raw(engine, lake), args.repeat)
        print(f"{label}: {args.members:,} members, best of {args.repeat}")
        print(f"  campaign_results   {mine:8.2f} s")
        print(f"  raw cursor+DuckDB  {raw:8.2f} s  (ratio {mine / raw:.2f}×)", flush=True)

    on_each_dialect(args.postgres, measure, skip_sqlite=args.skip_sqlite)


if __name__ == "__main__":
    main()
