"""Accuracy floor on labelled records: FEBRL 3, entities 0–499 (tests/data/identity/README.md), trained
without labels, scored and clustered by the same engine the store's runs use."""

from __future__ import annotations

from pathlib import Path

import pytest

from lottocrm.identity.febrl import evaluate, load

SUBSET = Path(__file__).resolve().parents[1] / "data" / "identity" / "febrl3_subset.csv.gz"


@pytest.mark.slow
def test_febrl3_subset_with_and_without_the_social_security_id() -> None:
    frame = load([SUBSET])
    everything = evaluate(frame, with_ssn=True)
    assert everything.clusters.truth > 1_000
    assert everything.clusters.precision >= 0.995
    assert everything.clusters.f1 >= 0.98
    without = evaluate(frame, with_ssn=False)
    assert without.clusters.precision >= 0.995
    assert without.clusters.f1 >= 0.95
