"""A hand-made lake and player table whose analytical record can be worked out on paper (Moscow time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import Engine

from lottocrm.analytics.extracts import PLAYERS_SCHEMA
from lottocrm.db.engine import transaction
from lottocrm.lake.schemas import TICKETS, WINS
from lottocrm.lake.store import Lake
from lottocrm.players.models import Player

MOSCOW = dt.timezone(dt.timedelta(hours=3))
AS_OF = dt.date(2026, 6, 1)


@dataclass(frozen=True)
class Sale:
    player_id: int | None
    day: dt.date
    game_id: int
    draw: bool
    channel: str
    price_kopecks: int
    at: dt.time = dt.time(12)


REGISTERED = {
    1: dt.date(2026, 1, 10),  # a regular: four purchase days, two wins
    2: dt.date(2026, 5, 20),  # new: one purchase a week before the as-of date
    3: dt.date(2026, 1, 1),  # never bought
    4: dt.date(2025, 1, 1),  # one purchase well over a year ago: deep churn
    5: dt.date(2026, 7, 1),  # registered after the as-of date: not in the record
    6: dt.date(2025, 12, 1),  # big recent spender: VIP
    7: dt.date(2026, 4, 1),  # last bought 47 days before: at risk
}

SALES = [
    Sale(1, dt.date(2026, 1, 15), 1, True, "app", 10_000),
    Sale(1, dt.date(2026, 1, 15), 1, True, "app", 10_000, dt.time(18)),
    Sale(1, dt.date(2026, 2, 14), 2, False, "retail_kiosk", 5_000),
    Sale(1, dt.date(2026, 5, 12), 1, True, "app", 30_000),
    # 23:30 in Moscow is 20:30 UTC: still 31 May locally, so it counts and recency is 1.
    Sale(1, dt.date(2026, 5, 31), 1, True, "app", 10_000, dt.time(23, 30)),
    # 00:30 on the as-of date in Moscow is 31 May in UTC, yet it is on the as-of day: left out.
    Sale(1, dt.date(2026, 6, 1), 2, False, "website", 999_000, dt.time(0, 30)),
    Sale(2, dt.date(2026, 5, 25), 3, True, "website", 50_000),
    Sale(4, dt.date(2025, 2, 1), 1, True, "post_office", 100_000),
    Sale(6, dt.date(2026, 1, 5), 2, False, "partner", 500_000),
    Sale(6, dt.date(2026, 4, 1), 2, False, "partner", 600_000),
    Sale(6, dt.date(2026, 5, 20), 1, True, "partner", 500_000),
    Sale(7, dt.date(2026, 4, 15), 3, True, "app", 20_000),
    Sale(None, dt.date(2026, 5, 1), 1, True, "retail_kiosk", 10_000),
    Sale(5, dt.date(2026, 7, 2), 1, True, "app", 10_000),
]

# (player, local day, amount): the third is after the as-of date.
WINS_ROWS = [
    (1, dt.date(2026, 2, 20), 100_000),
    (1, dt.date(2026, 5, 20), 50_000),
    (1, dt.date(2026, 6, 5), 1_000_000),
]


def _moscow(day: dt.date, at: dt.time = dt.time(12)) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=MOSCOW).astimezone(dt.UTC)


def write_lake(lake: Lake) -> None:
    n = len(SALES)
    lake.append(
        "tickets",
        pa.table(
            {
                "ticket_id": list(range(1, n + 1)),
                "player_id": [s.player_id for s in SALES],
                "game_id": [s.game_id for s in SALES],
                "draw_id": [1000 + i if s.draw else None for i, s in enumerate(SALES)],
                "channel": [s.channel for s in SALES],
                "pos_id": [None] * n,
                "region": ["RU-MOW"] * n,
                "price_kopecks": [s.price_kopecks for s in SALES],
                "sold_at": [_moscow(s.day, s.at) for s in SALES],
            },
            schema=TICKETS.schema,
        ),
        batch_id="mart-tickets",
    )
    lake.append(
        "wins",
        pa.table(
            {
                "win_id": list(range(1, len(WINS_ROWS) + 1)),
                "ticket_id": [1] * len(WINS_ROWS),
                "player_id": [player for player, _, _ in WINS_ROWS],
                "game_id": [1] * len(WINS_ROWS),
                "draw_id": [1000] * len(WINS_ROWS),
                "prize_tier": [2] * len(WINS_ROWS),
                "amount_kopecks": [amount for _, _, amount in WINS_ROWS],
                "won_at": [_moscow(day) for _, day, _ in WINS_ROWS],
                "claimed": [False] * len(WINS_ROWS),
                "claimed_at": [None] * len(WINS_ROWS),
            },
            schema=WINS.schema,
        ),
        batch_id="mart-wins",
    )


def write_players(engine: Engine) -> None:
    with transaction(engine) as session:
        for player_id, day in REGISTERED.items():
            registered_at = _moscow(day, dt.time(9))
            session.add(
                Player(
                    id=player_id,
                    last_name="Иванов",
                    first_name=f"Игрок {player_id}",
                    search_name=f"иванов игрок {player_id}",
                    region="RU-MOW",
                    registered_at=registered_at,
                    registration_channel="website",
                    created_at=registered_at,
                )
            )


def players_table() -> pa.Table:
    """The players as the store's extract would give them, for tests that need no database."""
    return pa.table(
        {
            "player_id": list(REGISTERED),
            "registered_at": [_moscow(day, dt.time(9)) for day in REGISTERED.values()],
            "region": ["RU-MOW"] * len(REGISTERED),
        },
        schema=PLAYERS_SCHEMA,
    )
