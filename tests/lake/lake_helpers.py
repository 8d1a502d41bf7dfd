"""Synthetic fact rows for lake tests, deterministic by seed, spread over several months."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lottocrm.lake.schemas import TICKETS

# 2025-01-01T00:00:00Z in microseconds.
JAN_2025_US = 1_735_689_600_000_000
DAY_US = 86_400_000_000


def synthetic_tickets(n: int, *, first_id: int = 1, seed: int = 0, days: int = 90) -> pa.Table:
    rng = np.random.default_rng(seed)
    sold = JAN_2025_US + rng.integers(0, days * DAY_US, n)
    players = rng.integers(1, 1_000, n)
    return pa.table(
        {
            "ticket_id": np.arange(first_id, first_id + n, dtype=np.int64),
            "player_id": pa.array(players, mask=players % 5 == 0),
            "game_id": rng.integers(1, 4, n).astype(np.int32),
            "draw_id": pa.nulls(n, pa.int64()),
            "channel": pa.array(rng.choice(["app", "website", "retail_kiosk"], n)),
            "pos_id": pa.nulls(n, pa.int64()),
            "region": pa.array(rng.choice(["RU-MOW", "RU-SPE"], n)),
            "price_kopecks": rng.integers(1, 11, n) * 5_000,
            "sold_at": pa.array(sold, pa.timestamp("us", tz="UTC")),
        },
        schema=TICKETS.schema,
    )
