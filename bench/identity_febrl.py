"""Identity resolution accuracy on FEBRL (labelled synthetic person records, ``../shared/data/identity/``).

    .venv/bin/python bench/identity_febrl.py [--data ../shared/data/identity] [--threads 2]

Runs the engine lottocrm uses on players — name keys, the Fellegi–Sunter model trained WITHOUT labels,
clustering with the anti-chaining guards — on dataset 3 (dedupe, 5 000 records) and on 4a + 4b (10 000
records, each 4a record has one match in 4b), with every field and without the social-security id (players
have none). 4a and 4b are deduplicated together, so a link inside one file counts as an error (stricter
than linking across the files only). Prints pairwise precision, recall and F1 of the clusters (every pair
of records put in one person, against every pair of records of one true entity) and of the scored pairs at
the "certain" threshold. Record the figures in bench/RESULTS.md only from a quiet machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lottocrm.identity.febrl import evaluate, load

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "identity"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    cases = (
        ("FEBRL3 dedupe", ("febrl_dataset3.csv.gz",)),
        ("FEBRL4 4a + 4b", ("febrl_dataset4a.csv.gz", "febrl_dataset4b.csv.gz")),
    )
    print(
        f"{'case':<18} {'fields':<14} {'records':>7} {'true pairs':>10}  cluster P / R / F1        "
        f"pairs ≥ certain P / R / F1   seconds"
    )
    for name, files in cases:
        frame = load([args.data / f for f in files])
        for with_ssn in (True, False):
            started = time.perf_counter()
            result = evaluate(frame, with_ssn=with_ssn, threads=args.threads)
            seconds = time.perf_counter() - started
            c, p = result.clusters, result.pairs
            print(
                f"{name:<18} {'all' if with_ssn else 'without SSN':<14} {result.records:>7,} {c.truth:>10,}  "
                f"{c.precision:.4f} / {c.recall:.4f} / {c.f1:.4f}   "
                f"{p.precision:.4f} / {p.recall:.4f} / {p.f1:.4f}   {seconds:6.1f}"
            )


if __name__ == "__main__":
    main()
