"""The simulator closes the campaign loop (issue #14 item 7): over many seeds, how often the campaign report's
95 % interval holds the average effect planted in exactly the treated players of its run.

Each seed: a small operator simulated (one year to 2 March 2026), the analytical record written, a one-off
campaign to every reachable player with half kept as control and a 7-day purchase response, simulated time
advanced over the window (`simulate advance`), `campaign_results` read, and the run's planted truth
(ground-truth/campaign-effects/run-<id>.parquet) averaged. Done when ≥ 93 of 100 seeds cover it (the overall
response lift; per-segment coverage is printed too, for segments with ≥ 100 players in each arm). Also the
spend lift against the expected planted spend effect.

    .venv/bin/python bench/campaign_loop_bench.py --seeds 100 --players 2000
    .venv/bin/python bench/campaign_loop_bench.py --seeds 3 --players 800      # a quick check that it runs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "simulator"))

from campaign_loop import run_loop  # noqa: E402

from lottocrm import domains  # noqa: E402
from lottocrm.db import migrate  # noqa: E402
from lottocrm.db.engine import make_engine  # noqa: E402

REQUIRED = 93 / 100
MIN_SEGMENT_ARM = 100


def one_seed(seed: int, players: int) -> tuple[bool, bool | None, Counter[str], Counter[str], float]:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        root = Path(folder)
        engine = make_engine(f"sqlite:///{root / 'bench.sqlite3'}")
        migrate.upgrade(engine)
        started = time.perf_counter()
        outcome = run_loop(engine, root, seed=seed, players=players)
        elapsed = time.perf_counter() - started
        engine.dispose()
    measurement, truth = outcome.results.measurement, outcome.truth
    covered = measurement.response.absolute_interval.contains(float(truth["effect"]))
    spend = measurement.spend
    spend_covered = (
        spend.absolute_interval.contains(float(truth["spend_effect_kopecks"])) if spend is not None else None
    )
    seen: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    by_segment = truth["by_segment"]
    assert isinstance(by_segment, dict)
    for part in measurement.segments.segments if measurement.segments else ():
        planted = by_segment.get(part.segment)
        small = min(part.treatment_n, part.control_n) < MIN_SEGMENT_ARM
        if planted is None or part.response is None or small:
            continue
        seen[part.segment] += 1
        inside[part.segment] += part.response.absolute_interval.contains(float(planted["effect"]))
    interval = measurement.response.absolute_interval
    print(
        f"seed {seed:>3}: treated {measurement.treatment.n:>5}, control {measurement.control.n:>5}, "
        f"lift {measurement.response.absolute:+.4f} [{interval.low:+.4f}, {interval.high:+.4f}]"
        f", planted {float(truth['effect']):+.4f} {'inside' if covered else 'OUTSIDE'} ({elapsed:.1f} s)",
        flush=True,
    )
    return covered, spend_covered, seen, inside, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    domains.import_models()
    covered = spend_covered = spend_seen = 0
    seen: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        hit, spend_hit, segment_seen, segment_inside, _ = one_seed(seed, args.players)
        covered += hit
        if spend_hit is not None:
            spend_seen += 1
            spend_covered += spend_hit
        seen.update(segment_seen)
        inside.update(segment_inside)
    print(f"\nresponse lift covers the planted effect in {covered} of {args.seeds} seeds", flush=True)
    print(f"spend lift covers the expected planted spend effect in {spend_covered} of {spend_seen} seeds")
    for segment in sorted(seen):
        print(f"  segment {segment:<24} covered in {inside[segment]} of {seen[segment]} seeds")
    verdict = "PASS" if covered >= REQUIRED * args.seeds else "FAIL"
    print(f"{verdict}: required ≥ {REQUIRED:.0%} of seeds")
    if verdict == "FAIL":
        sys.exit(1)


if __name__ == "__main__":
    main()
