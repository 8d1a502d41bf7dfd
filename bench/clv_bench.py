"""CLV benchmark: fit times on 10^6 synthetic customers, and the customer summary over a lake of tickets.

    .venv/bin/python bench/clv_bench.py [--customers 1000000] [--tickets 10000000]

Each fit is timed alongside the raw cost of one likelihood evaluation (the engine floor: numpy/scipy on the
same arrays), so the ratio shows how much the optimiser, not the arithmetic, costs. The summary is timed
against a raw DuckDB group-by of the same tickets in the same run. Every case reports wall time and the
process's CPU time: on a shared machine the wall time also counts the other processes' turns on the cores,
the CPU time does not (the fits are single-threaded numpy/scipy, so CPU ≈ wall on an idle machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from lottocrm.analytics.clv import bgnbd, gammagamma, paretonbd
from lottocrm.analytics.clv.scoring import StoredFit, score
from lottocrm.analytics.clv.summary import LakeSummary
from lottocrm.lake.schemas import TICKETS
from lottocrm.lake.store import Lake

# The synthetic generators are test helpers (tests/helpers), not part of the package: the benches reach them
# by putting the tests folder on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import clv_synthetic  # noqa: E402

TRUE_BG = bgnbd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
TRUE_PARETO = paretonbd.ParetoNbdParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)
TRUE_GG = gammagamma.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


class Clock:
    """Wall and CPU seconds of one action; ``str`` gives the table cell."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = wall, cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s (CPU {self.cpu:.2f} s)"


def timed(action):
    start, start_cpu = time.perf_counter(), time.process_time()
    value = action()
    return value, Clock(time.perf_counter() - start, time.process_time() - start_cpu)


def bench_fits(customers: int, *, whole_days: bool) -> list[str]:
    T = clv_synthetic.observation_lengths(customers, low=26, high=52, seed=1)
    lines = []
    label = "whole days" if whole_days else "continuous time"

    def rounded(c: clv_synthetic.SyntheticCustomers) -> clv_synthetic.SyntheticCustomers:
        if not whole_days:
            return c
        # What a lake summary yields: days / 7, the last purchase no later than the end.
        T_days = np.round(c.T * 7)
        return clv_synthetic.SyntheticCustomers(
            x=c.x, t_x=np.minimum(np.round(c.t_x * 7), T_days) / 7, T=T_days / 7
        )

    bg_customers = rounded(clv_synthetic.draw_bgnbd(TRUE_BG, T=T, seed=2))
    fit, seconds = timed(lambda: bgnbd.fit(x=bg_customers.x, t_x=bg_customers.t_x, T=bg_customers.T))
    _, one_eval = timed(
        lambda: bgnbd.log_likelihood(fit.params, x=bg_customers.x, t_x=bg_customers.t_x, T=bg_customers.T)
    )
    lines.append(
        f"| BG/NBD fit, {customers:,} customers ({label}) | {seconds} | "
        f"{fit.convergence.evaluations} evals; one LL incl. collapse {one_eval} | "
        f"r={fit.params.r:.3f} α={fit.params.alpha:.3f} "
        f"a={fit.params.a:.3f} b={fit.params.b:.3f} |"
    )
    pn_customers = rounded(clv_synthetic.draw_paretonbd(TRUE_PARETO, T=T, seed=3))
    fit_p, seconds = timed(lambda: paretonbd.fit(x=pn_customers.x, t_x=pn_customers.t_x, T=pn_customers.T))
    _, one_eval = timed(
        lambda: paretonbd.log_likelihood(
            fit_p.params, x=pn_customers.x, t_x=pn_customers.t_x, T=pn_customers.T
        )
    )
    lines.append(
        f"| Pareto/NBD fit, {customers:,} customers ({label}) | {seconds} | "
        f"{fit_p.convergence.evaluations} evals on all rows; one LL incl. collapse {one_eval} | "
        f"r={fit_p.params.r:.3f} α={fit_p.params.alpha:.3f} "
        f"s={fit_p.params.s:.3f} β={fit_p.params.beta:.3f} |"
    )
    if not whole_days:
        monetary = clv_synthetic.draw_spend(TRUE_GG, x=bg_customers.x, seed=4)
        fit_g, seconds = timed(lambda: gammagamma.fit(x=bg_customers.x, monetary=monetary))
        lines.append(
            f"| Gamma-Gamma fit, {fit_g.customers:,} repeat buyers of {customers:,} | {seconds} | "
            f"{fit_g.convergence.evaluations} evals | p={fit_g.params.p:.3f} q={fit_g.params.q:.3f} "
            f"γ={fit_g.params.gamma:.3f} |"
        )
    else:
        summary = pd.DataFrame(
            {
                "customer_id": np.arange(customers),
                "x": pn_customers.x,
                "t_x": pn_customers.t_x,
                "T": pn_customers.T,
                "monetary": clv_synthetic.draw_spend(TRUE_GG, x=pn_customers.x, seed=4),
            }
        )
        stored = StoredFit("pareto", "visit", fit_p.params, TRUE_GG, fit_p.log_likelihood, customers)
        scores, seconds = timed(lambda: score(summary, stored, horizon_days=365, discount_rate=0.15))
        lines.append(
            f"| Scoring {customers:,} customers (Pareto/NBD + Gamma-Gamma, 365 days in 12 monthly steps; "
            f"no database write) | {seconds} | P(alive), 12 horizons, spend, discounted CLV | "
            f"mean P(alive) {scores.probability_alive.mean():.3f} |"
        )
    return lines


def write_tickets(lake: Lake, *, tickets: int, players: int, chunk: int = 2_000_000) -> None:
    rng = np.random.default_rng(5)
    start = int(dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp() * 1_000_000)
    year_us = 365 * 86_400 * 1_000_000
    for first in range(0, tickets, chunk):
        n = min(chunk, tickets - first)
        player = rng.integers(1, players + 1, n).astype(np.int64)
        anonymous = rng.random(n) < 0.3
        lake.append(
            "tickets",
            pa.table(
                {
                    "ticket_id": np.arange(first, first + n, dtype=np.int64),
                    "player_id": pa.array(player, mask=anonymous),
                    "game_id": rng.integers(1, 8, n).astype(np.int32),
                    "draw_id": pa.nulls(n, pa.int64()),
                    "channel": pa.array(["app"] * n),
                    "pos_id": pa.nulls(n, pa.int64()),
                    "region": pa.array(["77"] * n),
                    "price_kopecks": rng.choice([5_000, 10_000, 20_000, 50_000], n).astype(np.int64),
                    "sold_at": pa.array(
                        start + rng.integers(0, year_us, n), type=TICKETS.schema.field("sold_at").type
                    ),
                },
                schema=TICKETS.schema,
            ),
            batch_id=f"bench-{first}",
        )


def bench_summary(tickets: int) -> list[str]:
    players = tickets // 10
    with tempfile.TemporaryDirectory() as folder:
        lake = Lake(Path(folder) / "lake")
        _, write_seconds = timed(lambda: write_tickets(lake, tickets=tickets, players=players))
        con = lake.connect()
        raw_sql = (
            "SELECT count(*) FROM (SELECT player_id, min(sold_at), max(sold_at), count(*), "
            "sum(price_kopecks) FROM tickets WHERE player_id IS NOT NULL GROUP BY player_id)"
        )
        _, raw_seconds = timed(lambda: con.execute(raw_sql).fetchall())
        engine = LakeSummary(lake, timezone="Europe/Moscow")
        summary, seconds = timed(
            lambda: engine.summarise(calibration_end=dt.date(2024, 9, 30), holdout_end=dt.date(2024, 12, 31))
        )
    return [
        f"| Summary over lake, {tickets:,} tickets → {len(summary):,} players (Ibis → DuckDB, with holdout)"
        f" | {seconds} | raw DuckDB per-player group-by {raw_seconds} "
        f"(wall ratio {seconds.wall / raw_seconds.wall:.1f}×); "
        f"writing the lake {write_seconds.wall:.1f} s | |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=10_000_000)
    args = parser.parse_args()
    load_before = os.getloadavg()
    lines = bench_fits(args.customers, whole_days=False)
    lines += bench_fits(args.customers, whole_days=True)
    lines += bench_summary(args.tickets)
    load_after = os.getloadavg()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; "
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
    )
    print("| case | time | notes | estimates |")
    print("|---|---|---|---|")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
