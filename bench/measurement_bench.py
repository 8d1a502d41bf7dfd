"""Campaign measurement benchmark: the statistics of one campaign's report at 700 k players.

    .venv/bin/python bench/measurement_bench.py [--players 700000] [--segments 40] [--repeat 5]

Only the statistics (``lottocrm.marketing.results.measure_campaign``: per-arm figures, SRM, response and spend
lift, CUPED on the pre-period spend, lift per segment, ROI) on SYNTHETIC arrays already in memory; reading the
contact history and the lake is the campaign report's own benchmark. Timed against the raw engine in the same
run: scipy's Welch test on response and spend, its χ² and the pre-period regression by numpy, the least any
implementation of the same report must do.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from scipy import stats

from lottocrm.marketing.results import measure_campaign


def _data(players: int, segments: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    treated = rng.random(players) >= 0.1
    pre = np.where(rng.random(players) < 0.6, rng.integers(1_000, 200_000, players), 0)
    responded = rng.random(players) < 0.08 + 0.01 * treated
    spend = np.where(responded, pre // 3 + rng.integers(5_000, 60_000, players), 0)
    return {
        "treated": treated,
        "responded": responded,
        "spend": spend,
        "pre": pre,
        "segment": rng.integers(0, segments, players),
    }


def _raw(data: dict[str, np.ndarray]) -> None:
    treated = data["treated"]
    for metric in (data["responded"].astype(float), data["spend"].astype(float)):
        stats.ttest_ind(metric[treated], metric[~treated], equal_var=False).confidence_interval(0.95)
    stats.chisquare([treated.sum(), (~treated).sum()], f_exp=[0.9 * len(treated), 0.1 * len(treated)])
    np.cov(data["spend"], data["pre"])


def _best(function, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=700_000)
    parser.add_argument("--segments", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = _data(args.players, args.segments)

    def report() -> None:
        measure_campaign(
            treated=data["treated"],
            responded=data["responded"],
            spend=data["spend"],
            pre_period_spend=data["pre"],
            segment=data["segment"],
            control_share=0.1,
            cost=50_000_000,
        )

    ours, raw = _best(report, args.repeat), _best(lambda: _raw(data), args.repeat)
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"players {args.players:,}, segments {args.segments}, best of {args.repeat}")
    print(f"measure_campaign  {ours:8.3f} s")
    print(
        f"raw scipy/numpy   {raw:8.3f} s  (ratio {ours / raw:.1f}×; ours adds CUPED arms and every segment)"
    )


if __name__ == "__main__":
    main()
