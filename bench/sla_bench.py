"""SLA engine benchmark: recompute the due times of many open timers at once (goal: 10^6 timers ≤ 5 s).

    .venv/bin/python bench/sla_bench.py [--timers 1000000] [--seed 1]

SYNTHETIC timers on one team's calendar (Moscow, Monday–Friday 09:00–13:00 and 14:00–18:00, Russia's
production calendar, 2025–2027): each case has a creation moment in 2025–2026, a target of 15 minutes to
5 days of business time and 1–6 state changes, some into pausing states. Timed, in the same run:

- the raw engine: one ``numpy.searchsorted`` of every start and every deadline on the calendar's arrays (what
  a recompute cannot beat);
- ``recompute.pauses_from_rows`` (pauses rebuilt from the state-history rows) and ``recompute.deadlines``
  (the set-based recompute, with the scalar walk for budgets spent before a pause ended);
- a sample of the scalar ``BusinessCalendar.deadline`` for the per-call cost, and a check that the set-based
  due times equal it on that sample.

Figures are printed, not recorded: the lead records them on a quiet machine (bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from zoneinfo import ZoneInfo

import numpy as np

from lottocrm.contact_centre.sla.calendar import BusinessCalendar, epoch
from lottocrm.contact_centre.sla.hours import WeekHours
from lottocrm.contact_centre.sla.production import production_calendar_for
from lottocrm.contact_centre.sla.recompute import NO_DUE, deadlines, pauses_from_rows

PAUSING_SHARE = 0.3


def _calendar() -> BusinessCalendar:
    return BusinessCalendar(
        zone=ZoneInfo("Europe/Moscow"),
        hours=WeekHours.parse(
            {d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
        ),
        rules=production_calendar_for([2025, 2026, 2027]),
        first=dt.date(2025, 1, 1),
        last=dt.date(2027, 12, 31),
    )


def _timers(count: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    origin = epoch(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    per_case = rng.integers(1, 7, size=count)
    case_index = np.repeat(np.arange(count, dtype=np.int64), per_case)
    first = np.r_[True, case_index[1:] != case_index[:-1]]
    gaps = rng.integers(60, 3 * 86_400, size=len(case_index)) // 60 * 60
    gaps[first] = 0
    running = np.cumsum(gaps)
    start = origin + rng.integers(0, 600 * 86_400, size=count) // 60 * 60
    moment = start[case_index] + running - np.repeat(running[first], per_case)
    pausing = rng.random(len(case_index)) < PAUSING_SHARE
    pausing[first] = False
    target = rng.integers(15, 5 * 8 * 60, size=count) * 60
    return case_index, moment.astype(np.int64), pausing, start.astype(np.int64), target.astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=2_000, help="timers checked against the scalar walk")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    began = time.perf_counter()
    calendar = _calendar()
    print(f"calendar: {len(calendar.starts)} working intervals, built in {time.perf_counter() - began:.3f} s")
    case_index, moment, pausing, start, target = _timers(args.timers, rng)
    print(f"{args.timers} timers, {len(moment)} state changes")

    began = time.perf_counter()
    raw = calendar.moment_at_many(calendar.business_at_many(start) + target)
    raw_seconds = time.perf_counter() - began
    print(f"raw engine (searchsorted of starts and deadlines, no pauses): {raw_seconds:.3f} s")

    began = time.perf_counter()
    pauses = pauses_from_rows(case_index, moment, pausing)
    rebuilt = time.perf_counter() - began
    began = time.perf_counter()
    due = deadlines(calendar, start, target, pauses)
    computed = time.perf_counter() - began
    total = rebuilt + computed
    print(f"pauses rebuilt from history: {rebuilt:.3f} s ({len(pauses.owner)} pauses)")
    print(f"set-based deadlines: {computed:.3f} s; recompute {total:.3f} s = {total / raw_seconds:.1f}× raw")
    stopped, unpaused = int((due == NO_DUE).sum()), int((due == raw).sum())
    print(f"stopped by a pause now: {stopped}; same as without pauses: {unpaused}")

    sample = rng.choice(args.timers, size=min(args.sample, args.timers), replace=False)
    owners = (
        np.searchsorted(pauses.owner, sample, side="left"),
        np.searchsorted(pauses.owner, sample, side="right"),
    )
    began = time.perf_counter()
    mismatches = 0
    for i, low, high in zip(sample, *owners, strict=True):
        own = [
            (int(s), None if e == NO_DUE else int(e))
            for s, e in zip(pauses.start[low:high], pauses.end[low:high], strict=True)
        ]
        walked = calendar.deadline(int(start[i]), int(target[i]), own)
        mismatches += (NO_DUE if walked is None else walked) != due[i]
    per_call = (time.perf_counter() - began) / len(sample) * 1e6
    print(f"scalar walk: {per_call:.1f} µs per timer on {len(sample)} timers; mismatches {mismatches}")
    if mismatches:
        raise SystemExit("the set-based due times differ from the scalar walk")


if __name__ == "__main__":
    main()
