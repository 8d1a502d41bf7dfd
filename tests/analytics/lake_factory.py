"""Tickets written into a real lake for CLV summary and CLI tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from lottocrm.lake.schemas import TICKETS
from lottocrm.lake.store import Lake

MOSCOW = dt.timezone(dt.timedelta(hours=3))


def tickets_table(rows: list[tuple[int | None, dt.datetime, int]]) -> pa.Table:
    """(player_id, sold_at, price_kopecks) rows as a tickets batch; the other columns get plausible values."""
    n = len(rows)
    return pa.table(
        {
            "ticket_id": np.arange(1, n + 1, dtype=np.int64),
            "player_id": [player for player, _, _ in rows],
            "game_id": np.full(n, 1, dtype=np.int32),
            "draw_id": [None] * n,
            "channel": ["app"] * n,
            "pos_id": [None] * n,
            "region": ["77"] * n,
            "price_kopecks": [price for _, _, price in rows],
            "sold_at": [sold_at.astimezone(dt.UTC) for _, sold_at, _ in rows],
        },
        schema=TICKETS.schema,
    )


def write_players(lake: Lake, *, players: int, start: dt.date, days: int, seed: int) -> None:
    """Players who first buy in the first quarter of the window, then buy again at a personal rate."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int | None, dt.datetime, int]] = []
    for player in range(1, players + 1):
        first = int(rng.integers(0, days // 4))
        rate = rng.gamma(0.8, 1 / 25)  # purchase days per day
        lifetime = rng.exponential(days / 2)
        purchase_days = [first]
        day = first
        while True:
            day += int(np.ceil(rng.exponential(1 / rate)))
            if day >= min(days, first + lifetime):
                break
            purchase_days.append(day)
        for day in purchase_days:
            sold_at = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(12), tzinfo=MOSCOW)
            rows.append((player, sold_at, int(rng.choice([5_000, 10_000, 20_000, 50_000]))))
    rows.append((None, dt.datetime.combine(start, dt.time(12), tzinfo=MOSCOW), 10_000))
    lake.append("tickets", tickets_table(rows), batch_id=f"clv-players-{seed}")
