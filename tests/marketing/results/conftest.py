"""The uplift reference experiments (tests/data/uplift, see its README) as (treated, responded, segment)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).parents[2] / "data" / "uplift"


@dataclass(frozen=True)
class Experiment:
    name: str
    treated: np.ndarray
    responded: np.ndarray
    segment: np.ndarray


def _load(name: str) -> Experiment:
    frame = pd.read_csv(DATA / name)
    if name.startswith("starbucks"):
        return Experiment(
            name, (frame.Promotion == "Yes").to_numpy(), frame.purchase.to_numpy(), frame.V1.to_numpy()
        )
    if name.startswith("voter"):
        return Experiment(
            name,
            frame.MESSAGE_A.to_numpy() == 1,
            (frame.MOVED_AD == "Y").to_numpy(),
            frame.GENDER_F.to_numpy(),
        )
    return Experiment(
        name, frame.Promotion_ord.to_numpy() == 1, frame.Purchase.to_numpy(), frame["U.S. Region"].to_numpy()
    )


FILES = (
    "starbucks_training.csv.gz",
    "starbucks_test.csv.gz",
    "voter-persuasion.csv.gz",
    "hair-care-product.csv.gz",
)


@pytest.fixture(scope="session", params=FILES)
def experiment(request: pytest.FixtureRequest) -> Experiment:
    return _load(request.param)


@pytest.fixture(scope="session")
def experiments() -> dict[str, Experiment]:
    return {name: _load(name) for name in FILES}
