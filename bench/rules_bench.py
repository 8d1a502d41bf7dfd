"""Association-rules benchmark: Apriori in the engine over 10^6 players' baskets, against a raw DuckDB
group-by of the same player-game pairs in the same run.

    .venv/bin/python bench/rules_bench.py [--players 1000000] [--days 90] [--min-support 0.01]
        [--min-confidence 0.1] [--repeats 3] [--work /tmp/rules-lake]

The lake holds the synthetic players of ``tests/helpers/propensity_synthetic.py`` (8 games, taste
archetypes so long game sets are frequent), written by a child process (so the peak RSS is the queries') into
a temporary folder, or into ``--work``, kept and reused by the next run with the same sizes. Two raw
baselines read the same lake views: the basket group-by (distinct player-game pairs of the window, counted
per game: Apriori's first level) and the pair self-join (players per game pair: its second level). Times are
wall seconds and process CPU seconds (all engine threads); on a shared machine the CPU figure is steadier.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from synthetic_lake import AS_OF, synthetic_lake

from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.rules.apriori import RuleOptions, RulesResult, mine_rules
from lottocrm.analytics.time import start_of_day_utc

TIMEZONE = "Europe/Moscow"


def _timed(run: Callable[[], object], repeats: int) -> tuple[list[float], list[float], object]:
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = run()
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    return walls, cpus, result


def _raw_sql(window_days: int) -> tuple[str, str]:
    start = start_of_day_utc(AS_OF - dt.timedelta(days=window_days), TIMEZONE).isoformat()
    end = start_of_day_utc(AS_OF, TIMEZONE).isoformat()
    pairs = (
        "SELECT DISTINCT player_id, game_id FROM tickets WHERE player_id IS NOT NULL "
        f"AND sold_at >= TIMESTAMPTZ '{start}' AND sold_at < TIMESTAMPTZ '{end}'"
    )
    per_game = f"SELECT game_id, count(*) AS players FROM ({pairs}) GROUP BY game_id"
    per_pair = (
        f"WITH p AS ({pairs}) SELECT a.game_id, b.game_id, count(*) AS players FROM p a "
        "JOIN p b ON a.player_id = b.player_id AND a.game_id < b.game_id GROUP BY 1, 2"
    )
    return per_game, per_pair


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90, help="history written = basket window")
    parser.add_argument("--min-support", type=float, default=0.01)
    parser.add_argument("--min-confidence", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()

    load_before = os.getloadavg()
    folder = args.work or Path(tempfile.mkdtemp(prefix="rules-bench-"))
    lake = synthetic_lake(folder, args.players, args.days)
    tickets = lake.row_count("tickets")
    options = RuleOptions(
        min_support=args.min_support, min_confidence=args.min_confidence, window_days=args.days
    )
    per_game, per_pair = _raw_sql(args.days)

    def rules() -> RulesResult:
        with LakeCompute(lake, timezone=TIMEZONE) as engine:
            return mine_rules(engine, as_of=AS_OF, options=options)

    def raw(sql: str) -> Callable[[], object]:
        def run() -> object:
            with LakeCompute(lake, timezone=TIMEZONE) as engine:
                return engine.connection.sql(sql).to_arrow_table()

        return run

    # Interleaved, so a load spike from other users hits all three alike.
    results: dict[str, tuple[list[float], list[float]]] = {
        "rules": ([], []),
        "per_game": ([], []),
        "per_pair": ([], []),
    }
    mined: RulesResult | None = None
    for _ in range(args.repeats):
        for name, run in (("per_game", raw(per_game)), ("per_pair", raw(per_pair)), ("rules", rules)):
            walls, cpus, out = _timed(run, 1)
            results[name][0].extend(walls)
            results[name][1].extend(cpus)
            if name == "rules":
                mined = out  # type: ignore[assignment]
    assert mined is not None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_after = os.getloadavg()

    print(f"## Rules: Apriori in the engine vs raw DuckDB group-by — {dt.date.today()}")
    print()
    print(f"Command: `.venv/bin/python bench/rules_bench.py {' '.join(sys.argv[1:])}`.")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Load average before/after: {load_before[0]:.1f} / {load_after[0]:.1f}."
    )
    print(
        f"Data: {args.players:,} players, {tickets:,} tickets over {args.days} days; "
        f"{mined.baskets:,} baskets; min support {args.min_support} ({mined.min_count:,} baskets), "
        f"min confidence {args.min_confidence}: "
        f"{mined.itemsets.num_rows:,} frequent sets, {mined.rules.num_rows:,} rules; levels "
        + ", ".join(f"{lv.size}: {lv.candidates}→{lv.frequent}" for lv in mined.levels)
        + f". Peak RSS {peak_mb:,.0f} MB. {args.repeats} interleaved runs each."
    )
    print()
    print("| query | wall median s | wall min s | CPU median s |")
    print("|---|---|---|---|")
    labels = {
        "per_game": "raw: distinct pairs, players per game",
        "per_pair": "raw: pair self-join, players per game pair",
        "rules": "mine_rules (all levels + rules)",
    }
    for name in ("per_game", "per_pair", "rules"):
        walls, cpus = results[name]
        wall, fastest, cpu = statistics.median(walls), min(walls), statistics.median(cpus)
        print(f"| {labels[name]} | {wall:.2f} | {fastest:.2f} | {cpu:.2f} |")
    ratio_game = statistics.median(results["rules"][0]) / statistics.median(results["per_game"][0])
    ratio_pair = statistics.median(results["rules"][0]) / statistics.median(results["per_pair"][0])
    print()
    print(
        f"Ratio (wall median): rules / per-game group-by = {ratio_game:.1f}×; "
        f"rules / pair self-join = {ratio_pair:.1f}×."
    )


if __name__ == "__main__":
    main()
