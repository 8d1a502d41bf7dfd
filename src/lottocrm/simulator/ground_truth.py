"""The truth behind the simulated data, written next to the lake for later analytics to be checked against.

``<data>/ground-truth/players/part-<chunk>.parquet`` holds every player's hidden parameters and what they
actually did; ``<data>/ground-truth/population.json`` holds the population parameters, the seed, the dates
and run totals. Files are written to a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lottocrm.lake.schemas import UTC_TS
from lottocrm.simulator.behaviour import Behaviour
from lottocrm.simulator.games import CHANNELS, GAMES
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.players import Profiles
from lottocrm.simulator.purchases import Lifetimes

PLAYERS_DIR = "players"
POPULATION_FILE = "population.json"


def truth_table(
    profiles: Profiles,
    behaviour: Behaviour,
    lifetimes: Lifetimes,
    limits: np.ndarray,
    spend_shape: float,
    person_id: np.ndarray | None = None,
) -> pa.Table:
    columns: dict[str, pa.Array] = {
        "player_id": pa.array(profiles.player_id),
        # The person behind the registration: the id of their first registration (simulator/duplicates.py).
        "person_id": pa.array(profiles.player_id if person_id is None else person_id, pa.int64()),
        "buyer": pa.array(behaviour.buyer),
        "first_purchase_at": pa.array(lifetimes.first_purchase_at, mask=lifetimes.first_purchase_at < 0).cast(
            UTC_TS
        ),
        "lapsed_at": pa.array(lifetimes.lapsed_at, mask=lifetimes.lapsed_at < 0).cast(UTC_TS),
        "repeat_occasions": pa.array(lifetimes.repeat_occasions),
        "purchase_rate_per_week": pa.array(behaviour.rate),
        "dropout_probability": pa.array(behaviour.dropout),
        "spend_rate_nu": pa.array(behaviour.spend_rate),
        "expected_spend_per_occasion_kopecks": pa.array(
            np.rint(spend_shape / behaviour.spend_rate * 100).astype(np.int64)
        ),
        "monthly_spend_limit_kopecks": pa.array(limits, pa.int64(), mask=limits == 0),
        "preferred_game_id": pa.array(
            np.array([g.id for g in GAMES], np.int32)[behaviour.games.argmax(axis=1)]
        ),
        "preferred_channel": pa.array(list(CHANNELS)).take(pa.array(behaviour.channels.argmax(axis=1))),
    }
    for column, game in enumerate(GAMES):
        columns[f"pref_game_{game.code}"] = pa.array(behaviour.games[:, column])
    for column, channel in enumerate(CHANNELS):
        columns[f"pref_channel_{channel}"] = pa.array(behaviour.channels[:, column])
    return pa.table(columns)


def _replace_atomically(write, final: Path) -> None:  # type: ignore[no-untyped-def]
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(f".{final.name}.tmp")
    write(temp)
    os.replace(temp, final)


def write_players(directory: Path, chunk: int, table: pa.Table) -> Path:
    final = directory / PLAYERS_DIR / f"part-{chunk:06d}.parquet"
    _replace_atomically(lambda path: pq.write_table(table, path, compression="zstd"), final)
    return final


def write_population(directory: Path, config: SimulationConfig, totals: dict[str, int]) -> Path:
    document = {
        **config.describe(),
        "time_unit": "week",
        "games": [
            {
                "id": g.id,
                "code": g.code,
                "name": g.name,
                "kind": g.kind,
                "price_kopecks": g.price_kopecks,
                "popularity": g.popularity,
            }
            for g in GAMES
        ],
        "sales_channels": list(CHANNELS),
        "totals": totals,
        "documentation": "docs/simulator.md",
    }
    final = directory / POPULATION_FILE
    _replace_atomically(
        lambda path: path.write_text(
            json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        ),
        final,
    )
    return final


def clear(directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
