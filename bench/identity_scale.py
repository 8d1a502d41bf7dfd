"""Identity resolution at scale: the exact-key pass and the probabilistic pass on synthetic players.

    .venv/bin/python bench/identity_scale.py [--players 100000] [--share 0.03] [--threads 2]

Players are drawn by the simulator's own profile generator (Russian names from Faker's pools, birth dates,
regions, phones, e-mails, cards, devices) with duplicate registrations planted by simulator/duplicates.py —
without tickets, so 10^6 players take seconds to make. Times each phase of the engine the store's runs use
(records, exact keys, training, scoring with the blocking rules, clustering), the peak RSS, and pairwise
precision / recall of the clusters against the planted truth. Run at 10^6 and 5·10^6 to see the growth; the
lead records figures from a quiet machine in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import numpy as np

from lottocrm.identity.clusters import Guards
from lottocrm.identity.engine import link
from lottocrm.identity.evaluation import pairs_within, score
from lottocrm.identity.exact import exact_links
from lottocrm.identity.model import ModelSpec
from lottocrm.identity.pipeline import player_records
from lottocrm.identity.thresholds import Thresholds
from lottocrm.simulator.draws import to_us
from lottocrm.simulator.duplicates import plant, rewrite_mailboxes
from lottocrm.simulator.geography import REGION_CODES
from lottocrm.simulator.identities import identities_table
from lottocrm.simulator.names import NamePools
from lottocrm.simulator.params import PopulationParams
from lottocrm.simulator.players import draw_profiles, players_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.03, help="share of duplicate registrations")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = args.players
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    start_us = to_us(dt.datetime(2022, 1, 1, tzinfo=dt.UTC))
    end_us = to_us(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    profiles = draw_profiles(
        1, n, n, start_us, end_us, PopulationParams(), NamePools.generate(args.seed), rng
    )
    planted = plant(profiles, args.share, np.random.default_rng(args.seed + 1), len(REGION_CODES))
    identities = identities_table(
        planted.profiles, args.seed, end_us, rng, lambda emails: rewrite_mailboxes(emails, planted)
    )
    players = players_table(planted.profiles, np.full(n, "active"))
    print(f"{n:,} players, {identities.num_rows:,} identities made in {time.perf_counter() - started:.1f} s")

    phases: dict[str, float] = {}
    clock = time.perf_counter()
    records = player_records(players, identities)
    phases["records"] = time.perf_counter() - clock
    clock = time.perf_counter()
    exact_a, exact_b, _kinds = exact_links(identities)
    phases["exact keys"] = time.perf_counter() - clock
    marks = {"clock": time.perf_counter()}

    def step(name: str) -> None:
        now = time.perf_counter()
        phases[marks.get("name", "loading records into DuckDB")] = now - marks["clock"]  # type: ignore[index]
        marks["clock"], marks["name"] = now, name  # type: ignore[assignment]

    linked = link(
        records,
        spec=ModelSpec(),
        thresholds=Thresholds(),
        guards=Guards(),
        exact=(exact_a, exact_b),
        threads=args.threads,
        on_step=step,
    )
    step("end")
    for name, seconds in phases.items():
        print(f"  {name:<55} {seconds:8.1f} s")
    truth = pairs_within(players["id"].to_numpy(), planted.person_id)
    found = pairs_within(linked.clustering.player_id, linked.clustering.label)
    accuracy = score(found, truth)
    probable = int((linked.pairs["probability"].to_numpy() < Thresholds().certain).sum())
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"exact links {exact_a.size:,}; pairs ≥ probable {linked.pairs.num_rows:,} ({probable:,} for review, "
        f"{probable / n:.3%} of records); persons {linked.clustering.clusters:,}"
    )
    print(
        f"clusters vs planted truth: P {accuracy.precision:.4f} R {accuracy.recall:.4f} F1 {accuracy.f1:.4f} "
        f"({accuracy.truth:,} true pairs); peak RSS {peak_gb:.2f} GB; "
        f"total {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
