"""Synthetic players with game tastes, for the propensity, rules and clustering tests and benchmarks.

Each player belongs to one of a few taste archetypes (draw games, numbers games, instant games, and mixes of
them), draws personal tastes around it (Dirichlet), buys on purchase days that follow a Poisson process
between a start day and a lapse day, and picks one or two games per purchase day from those tastes. The
archetypes make some games go together (what association rules should find) and the lapses make recency
matter (what a propensity model should use beyond "played it before").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
from sqlalchemy import Engine, insert

from lottocrm.catalog.models import Game
from lottocrm.db.engine import transaction
from lottocrm.lake.schemas import TICKETS
from lottocrm.lake.store import Lake
from lottocrm.players.models import Player

MOSCOW = dt.timezone(dt.timedelta(hours=3))
GAMES = (1, 2, 3, 4, 5, 6, 7, 8)
PRICES = np.array([10_000, 15_000, 10_000, 8_000, 6_000, 5_000, 10_000, 20_000], dtype=np.int64)
ARCHETYPES = np.array(
    [
        [6, 4, 1, 0.3, 0.3, 0.3, 0.2, 0.2],  # traditional draws
        [0.3, 0.3, 5, 4, 3, 1, 0.2, 0.2],  # numbers games
        [0.2, 0.2, 0.3, 0.3, 0.5, 2, 6, 4],  # instant and fast games
        [2, 1, 2, 1, 1, 1, 2, 1],  # a bit of everything
    ]
)
CHUNK_PLAYERS = 100_000


def _chunk(
    first_player: int, players: int, *, start: dt.date, days: int, rng: np.random.Generator, next_ticket: int
) -> pa.Table:
    archetype = rng.integers(0, len(ARCHETYPES), players)
    # Personal tastes: Dirichlet around the archetype; drawn through Gamma so all players come at once.
    concentration = ARCHETYPES[archetype] * 1.5
    raw = rng.gamma(concentration)
    taste = raw / raw.sum(axis=1, keepdims=True)
    begin = rng.integers(0, days // 2, players)
    lapse = begin + rng.exponential(days * 0.8, players)
    active = np.minimum(lapse, days) - begin
    rate = rng.gamma(0.9, 1 / 12, players)  # purchase days per day
    counts = rng.poisson(rate * active)
    owner = np.repeat(np.arange(players), counts)
    day = (begin[owner] + rng.random(owner.size) * active[owner]).astype(np.int64)
    # One game per purchase day, a second one a third of the time.
    second = rng.random(owner.size) < 1 / 3
    owner = np.concatenate([owner, owner[second]])
    day = np.concatenate([day, day[second]])
    cumulative = np.cumsum(taste, axis=1)
    game_index = (rng.random(owner.size)[:, None] > cumulative[owner]).sum(axis=1)
    game_index = np.minimum(game_index, len(GAMES) - 1)
    n = owner.size
    base = dt.datetime.combine(start, dt.time(10), tzinfo=MOSCOW).astimezone(dt.UTC)
    seconds = day * 86_400 + rng.integers(0, 10 * 3600, n)
    sold_at = np.datetime64(base.replace(tzinfo=None), "us") + seconds.astype("timedelta64[s]")
    games = np.asarray(GAMES, dtype=np.int32)[game_index]
    return pa.table(
        {
            "ticket_id": np.arange(next_ticket, next_ticket + n, dtype=np.int64),
            "player_id": (owner + first_player).astype(np.int64),
            "game_id": games,
            "draw_id": pa.nulls(n, pa.int64()),
            "channel": pa.DictionaryArray.from_arrays(np.zeros(n, dtype=np.int8), ["app"]).cast(pa.string()),
            "pos_id": pa.nulls(n, pa.int64()),
            "region": pa.nulls(n, pa.string()),
            "price_kopecks": PRICES[game_index],
            "sold_at": pa.array(sold_at, type=pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC")),
        },
        schema=TICKETS.schema,
    )


def synthetic_tickets(*, players: int, start: dt.date, days: int, seed: int) -> Iterator[pa.Table]:
    """Tickets of ``players`` players over ``days`` days from ``start``, in chunks of players."""
    rng = np.random.default_rng(seed)
    next_ticket = 1
    for first in range(0, players, CHUNK_PLAYERS):
        chunk = _chunk(
            first + 1,
            min(CHUNK_PLAYERS, players - first),
            start=start,
            days=days,
            rng=rng,
            next_ticket=next_ticket,
        )
        next_ticket += chunk.num_rows
        yield chunk


def write_synthetic_lake(lake: Lake, *, players: int, start: dt.date, days: int, seed: int) -> int:
    """Write the synthetic tickets as one lake batch; returns the number of tickets."""
    with lake.writer("tickets", batch_id=f"synthetic-{seed}-{players}") as batch:
        for chunk in synthetic_tickets(players=players, start=start, days=days, seed=seed):
            batch.write(chunk)
    return batch.rows


def basket_tickets(baskets: dict[int, set[int]], *, sold_at: dt.datetime) -> pa.Table:
    """One ticket per (player, game) of hand-made baskets, all sold at ``sold_at``."""
    pairs = [(player, game) for player, games in sorted(baskets.items()) for game in sorted(games)]
    n = len(pairs)
    return pa.table(
        {
            "ticket_id": np.arange(1, n + 1, dtype=np.int64),
            "player_id": [player for player, _ in pairs],
            "game_id": [game for _, game in pairs],
            "draw_id": pa.nulls(n, pa.int64()),
            "channel": ["app"] * n,
            "pos_id": pa.nulls(n, pa.int64()),
            "region": pa.nulls(n, pa.string()),
            "price_kopecks": [10_000] * n,
            "sold_at": [sold_at.astimezone(dt.UTC)] * n,
        },
        schema=TICKETS.schema,
    )


def write_synthetic_players(engine: Engine, *, players: int, registered_on: dt.date) -> None:
    """Store rows for players 1..``players`` (the ids the synthetic tickets use), registered on one day."""
    registered_at = dt.datetime.combine(registered_on, dt.time(9), tzinfo=MOSCOW).astimezone(dt.UTC)
    rows = [
        {
            "id": player,
            "last_name": "Синтетический",
            "first_name": f"Игрок {player}",
            "search_name": f"синтетический игрок {player}",
            "region": "RU-MOW",
            "registered_at": registered_at,
            "registration_channel": "website",
            "created_at": registered_at,
        }
        for player in range(1, players + 1)
    ]
    with transaction(engine) as session:
        for start in range(0, len(rows), 10_000):
            session.execute(insert(Player.__table__), rows[start : start + 10_000])


def write_synthetic_games(engine: Engine) -> None:
    """Catalogue rows for the synthetic game ids, so commands can show codes and names."""
    with transaction(engine) as session:
        session.execute(
            insert(Game.__table__),
            [
                {
                    "id": game,
                    "code": f"game_{game}",
                    "name": f"Игра {game}",
                    "kind": "draw" if game <= 6 else "instant",
                    "ticket_price_kopecks": int(PRICES[game - 1]),
                    "schedule": None,
                    "active": True,
                }
                for game in GAMES
            ],
        )
