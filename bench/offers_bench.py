"""Next-game offers benchmark: ranking every buyer's games with the cross-sell rules (``next_games``) at
10^5 and 10^6 players, against a raw DuckDB group-by of the same baskets in the same run.

    .venv/bin/python bench/offers_bench.py [--players 100000 1000000] [--days 180] [--repeats 3]
        [--work /tmp/offers-lake] [--build-players 100000]

The lake holds the synthetic players of ``tests/helpers/propensity_synthetic.py`` (8 games, taste
archetypes), written by a child process into ``--work`` (kept and reused by the next run with the same
sizes). Propensities are a fixed pseudo-random probability per buyer × game (the model is not what is
measured here), with ``played_before`` from the lake; the rules are mined as ``build_offers`` mines them.
The raw baseline is the basket group-by: distinct player-game pairs of the rules' window, counted per
player. With ``--build-players N`` the whole ``build_offers`` (model fit, scoring, rules, ranking, first
games, store) also runs once on N players with a SQLite store, and each step's time is printed.
Times are wall seconds and process CPU seconds (all engine threads); on a shared machine CPU is steadier.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from synthetic_lake import AS_OF, synthetic_lake

from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.propensity.model import PROPENSITY_SCHEMA
from lottocrm.analytics.propensity.offers import next_games, single_game_rules
from lottocrm.analytics.propensity.pipeline import OFFER_RULES
from lottocrm.analytics.rules.apriori import mine_rules
from lottocrm.analytics.time import start_of_day_utc
from lottocrm.audit.service import Actor
from lottocrm.lake.store import Lake

TIMEZONE = "Europe/Moscow"


def _window_sql(window_days: int) -> tuple[str, str]:
    start = start_of_day_utc(AS_OF - dt.timedelta(days=window_days), TIMEZONE).isoformat()
    end = start_of_day_utc(AS_OF, TIMEZONE).isoformat()
    return start, end


def _propensities(engine: LakeCompute) -> pa.Table:
    """Every buyer × game with a fixed pseudo-random probability and whether the buyer ever played it."""
    _, end = _window_sql(OFFER_RULES.window_days)
    sql = f"""
        WITH sold AS (SELECT player_id, game_id::INTEGER AS game_id FROM tickets
                      WHERE player_id IS NOT NULL AND sold_at < TIMESTAMPTZ '{end}'),
             buyers AS (SELECT DISTINCT player_id FROM sold),
             games AS (SELECT DISTINCT game_id FROM sold),
             played AS (SELECT DISTINCT player_id, game_id FROM sold)
        SELECT b.player_id, g.game_id,
               (hash(b.player_id * 31 + g.game_id) % 1000000) / 1e6 AS probability,
               p.player_id IS NOT NULL AS played_before
        FROM buyers b CROSS JOIN games g
        LEFT JOIN played p ON p.player_id = b.player_id AND p.game_id = g.game_id
        ORDER BY 1, 2"""
    return engine.connection.sql(sql).to_arrow_table().cast(PROPENSITY_SCHEMA)


def _basket_group_by() -> str:
    start, end = _window_sql(OFFER_RULES.window_days)
    return (
        "SELECT player_id, count(*) AS games FROM (SELECT DISTINCT player_id, game_id FROM tickets "
        f"WHERE player_id IS NOT NULL AND sold_at >= TIMESTAMPTZ '{start}' "
        f"AND sold_at < TIMESTAMPTZ '{end}') "
        "GROUP BY player_id"
    )


def _timed(run: Callable[[], object]) -> tuple[float, float, object]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = run()
    return time.perf_counter() - wall0, time.process_time() - cpu0, result


def bench_next_games(lake: Lake, repeats: int) -> dict[str, object]:
    with LakeCompute(lake, timezone=TIMEZONE) as engine:
        rules = single_game_rules(mine_rules(engine, as_of=AS_OF, options=OFFER_RULES).rules)
        scores = engine.register("bench_scores", _propensities(engine))
        sql = _basket_group_by()
        times: dict[str, tuple[list[float], list[float]]] = {"raw": ([], []), "offers": ([], [])}
        offers: pa.Table | None = None
        for _ in range(repeats):  # interleaved, so a load spike hits both alike
            wall, cpu, _ = _timed(lambda: engine.connection.sql(sql).to_arrow_table())
            times["raw"][0].append(wall)
            times["raw"][1].append(cpu)
            wall, cpu, offers = _timed(
                lambda: next_games(
                    engine,
                    propensities=scores,
                    rules=rules,
                    as_of=AS_OF,
                    window_days=OFFER_RULES.window_days,
                    top=3,
                )
            )
            times["offers"][0].append(wall)
            times["offers"][1].append(cpu)
        assert isinstance(offers, pa.Table)
        return {
            "rules": rules.num_rows,
            "score_rows": scores.count().to_pyarrow().as_py(),
            "offers": offers.num_rows,
            "times": times,
        }


def bench_build(lake: Lake, players: int) -> list[tuple[str, float]]:
    """One ``build_offers`` over ``lake`` with a fresh SQLite store; seconds per step."""
    # tests/ is on the path (see synthetic_lake.py): the generators are test helpers, not in the package.
    from helpers.propensity_synthetic import write_synthetic_games, write_synthetic_players
    from lottocrm.analytics.propensity.pipeline import build_offers
    from lottocrm.db import migrate
    from lottocrm.db.engine import make_engine
    from lottocrm.settings import build_settings

    data = Path(tempfile.mkdtemp(prefix="offers-build-"))
    os.environ["LOTTOCRM_DATA_DIR"] = str(data)
    os.environ["LOTTOCRM_LAKE_DIR"] = str(lake.root)
    os.environ["LOTTOCRM_DATABASE_URL"] = f"sqlite:///{data / 'crm.sqlite3'}"
    settings = build_settings()
    engine = make_engine(settings.db_url)
    migrate.upgrade(engine)
    write_synthetic_games(engine)
    write_synthetic_players(engine, players=players, registered_on=AS_OF - dt.timedelta(days=400))
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    build_offers(
        settings,
        engine,
        AS_OF,
        actor=Actor("bench:offers"),
        on_step=lambda step: marks.append((step, time.perf_counter())),
    )
    marks.append(("done", time.perf_counter()))
    engine.dispose()
    steps, previous = [], started
    for (name, _), (_, end) in zip(marks, marks[1:], strict=False):
        steps.append((name, end - previous))
        previous = end
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--days", type=int, default=180, help="history written (the rules use 90 days)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--build-players", type=int, default=None)
    args = parser.parse_args()

    load_before = os.getloadavg()
    folder = args.work or Path(tempfile.mkdtemp(prefix="offers-bench-"))
    results = {n: bench_next_games(synthetic_lake(folder, n, args.days), args.repeats) for n in args.players}
    build = None
    if args.build_players:
        build = bench_build(synthetic_lake(folder, args.build_players, args.days), args.build_players)
    load_after = os.getloadavg()

    print(f"## Next-game offers vs raw DuckDB basket group-by — {dt.date.today()}")
    print()
    print(f"Command: `.venv/bin/python bench/offers_bench.py {' '.join(sys.argv[1:])}`.")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Load average before/after: {load_before[0]:.1f} / {load_after[0]:.1f}. "
        f"{args.repeats} interleaved runs each."
    )
    print()
    print(
        "| players | rules | player × game rows | offers | raw group-by wall s | next_games wall s "
        "| next_games CPU s | ratio (wall medians) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for players, found in results.items():
        times = found["times"]
        raw, offers = statistics.median(times["raw"][0]), statistics.median(times["offers"][0])  # type: ignore[index]
        cpu = statistics.median(times["offers"][1])  # type: ignore[index]
        print(
            f"| {players:,} | {found['rules']:,} | {found['score_rows']:,} | {found['offers']:,} "
            f"| {raw:.2f} | {offers:.2f} | {cpu:.2f} | {offers / raw:.1f}× |"
        )
    if build is not None:
        print()
        print(f"build_offers on {args.build_players:,} players (SQLite store), seconds per step:")
        for name, seconds in build:
            print(f"- {name}: {seconds:.1f}")
        print(f"- total: {sum(seconds for _, seconds in build):.1f}")


if __name__ == "__main__":
    main()
