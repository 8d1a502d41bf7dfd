"""The simulated operator's game catalogue: prices, draw schedules, jackpot processes and prize tables.

Modelled on Russian state lotteries. Numeric games take their tier probabilities from the hypergeometric
law of their format; bingo-style and instant games use published-looking tables. Amounts are chosen so the
return to players is about half of sales, as the law on lotteries requires of state lotteries.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from lottocrm import vocab

# A prize tier that pays the draw's current jackpot instead of a fixed amount.
JACKPOT = -1

RUB = 100  # kopecks


@dataclass(frozen=True)
class PrizeTier:
    tier: int
    probability: float
    amount_kopecks: int  # or JACKPOT


@dataclass(frozen=True)
class JackpotProcess:
    """Jackpot of a draw: the base after a hit, otherwise the previous one plus a Gamma-distributed growth."""

    base_kopecks: int
    mean_growth_kopecks: int
    hit_probability: float


@dataclass(frozen=True)
class DrawSchedule:
    """Draw times in Moscow time: on the given weekdays (Monday = 0) at the given minutes after midnight."""

    weekdays: tuple[int, ...]
    minutes: tuple[int, ...]
    has_new_year_draw: bool = False

    def describe(self) -> dict[str, object]:
        days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        described: dict[str, object] = {
            "tz": "Europe/Moscow",
            "days": [days[d] for d in self.weekdays],
            "times": [f"{m // 60:02d}:{m % 60:02d}" for m in self.minutes],
        }
        if len(self.minutes) >= 48:
            described = {"tz": "Europe/Moscow", "every": f"{self.minutes[1] - self.minutes[0]}min"}
        if self.has_new_year_draw:
            described["special"] = "New Year draw on 1 January 14:00"
        return described


@dataclass(frozen=True)
class GameSpec:
    id: int
    code: str
    name: str
    price_kopecks: int
    popularity: float  # mean share of a player's preference (Dirichlet mean)
    prizes: tuple[PrizeTier, ...]
    schedule: DrawSchedule | None = None
    jackpot: JackpotProcess | None = None
    numbers: tuple[int, int] | None = None  # (how many drawn, out of how many) for draw results

    @property
    def kind(self) -> str:
        return "instant" if self.schedule is None else "draw"


def matching_tiers(picked: int, pool: int, prizes: dict[int, int]) -> tuple[PrizeTier, ...]:
    """Tiers of a "k из n" game: P(m matches) is hypergeometric; ``prizes`` maps matches to the amount."""
    total = comb(pool, picked)
    tiers = []
    for rank, matches in enumerate(sorted(prizes, reverse=True), start=1):
        probability = comb(picked, matches) * comb(pool - picked, picked - matches) / total
        tiers.append(PrizeTier(rank, probability, prizes[matches]))
    return tuple(tiers)


EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
SUNDAY = (6,)

GAMES: tuple[GameSpec, ...] = (
    GameSpec(
        id=1,
        code="russkoe_loto",
        name="Русское лото",
        price_kopecks=150 * RUB,
        popularity=0.22,
        schedule=DrawSchedule(SUNDAY, (14 * 60,), has_new_year_draw=True),
        jackpot=JackpotProcess(50_000_000 * RUB, 8_000_000 * RUB, 0.12),
        numbers=(15, 90),
        prizes=(
            PrizeTier(1, 1e-7, JACKPOT),
            PrizeTier(2, 1e-5, 1_000_000 * RUB),
            PrizeTier(3, 0.003, 5_000 * RUB),
            PrizeTier(4, 0.03, 500 * RUB),
            PrizeTier(5, 0.15, 150 * RUB),
        ),
    ),
    GameSpec(
        id=2,
        code="zhilishchnaya",
        name="Жилищная лотерея",
        price_kopecks=150 * RUB,
        popularity=0.10,
        schedule=DrawSchedule(SUNDAY, (14 * 60 + 30,)),
        jackpot=JackpotProcess(30_000_000 * RUB, 5_000_000 * RUB, 0.10),
        numbers=(15, 90),
        prizes=(
            PrizeTier(1, 2e-7, JACKPOT),
            PrizeTier(2, 5e-6, 2_000_000 * RUB),
            PrizeTier(3, 0.003, 3_000 * RUB),
            PrizeTier(4, 0.04, 400 * RUB),
            PrizeTier(5, 0.15, 150 * RUB),
        ),
    ),
    GameSpec(
        id=3,
        code="6x45",
        name="Спортлото «6 из 45»",
        price_kopecks=100 * RUB,
        popularity=0.16,
        schedule=DrawSchedule(EVERY_DAY, (11 * 60, 15 * 60, 19 * 60, 23 * 60)),
        jackpot=JackpotProcess(50_000_000 * RUB, 1_000_000 * RUB, 0.01),
        numbers=(6, 45),
        prizes=matching_tiers(
            6, 45, {6: JACKPOT, 5: 200_000 * RUB, 4: 3_000 * RUB, 3: 500 * RUB, 2: 150 * RUB}
        ),
    ),
    GameSpec(
        id=4,
        code="5x36",
        name="Спортлото «5 из 36»",
        price_kopecks=80 * RUB,
        popularity=0.10,
        schedule=DrawSchedule(EVERY_DAY, tuple(h * 60 for h in range(10, 23, 2))),
        jackpot=JackpotProcess(3_000_000 * RUB, 100_000 * RUB, 0.02),
        numbers=(5, 36),
        prizes=matching_tiers(5, 36, {5: JACKPOT, 4: 10_000 * RUB, 3: 1_000 * RUB, 2: 120 * RUB}),
    ),
    GameSpec(
        id=5,
        code="4x20",
        name="Спортлото «4 из 20»",
        price_kopecks=100 * RUB,
        popularity=0.10,
        schedule=DrawSchedule(EVERY_DAY, (12 * 60, 20 * 60)),
        jackpot=JackpotProcess(5_000_000 * RUB, 500_000 * RUB, 0.02),
        numbers=(4, 20),
        # Two fields of "4 из 20": the jackpot needs both; other tiers pay on either field (twice as likely).
        prizes=(PrizeTier(1, (1 / comb(20, 4)) ** 2, JACKPOT),)
        + tuple(
            PrizeTier(t.tier + 1, 2 * t.probability, t.amount_kopecks)
            for t in matching_tiers(4, 20, {4: 20_000 * RUB, 3: 1_000 * RUB, 2: 60 * RUB})
        ),
    ),
    GameSpec(
        id=6,
        code="rapido",
        name="Рапидо",
        price_kopecks=50 * RUB,
        popularity=0.14,
        schedule=DrawSchedule(EVERY_DAY, tuple(range(0, 24 * 60, 15))),
        jackpot=JackpotProcess(500_000 * RUB, 20_000 * RUB, 0.005),
        numbers=(8, 20),
        prizes=(
            PrizeTier(1, 1e-6, JACKPOT),
            PrizeTier(2, 0.002, 3_000 * RUB),
            PrizeTier(3, 0.03, 300 * RUB),
            PrizeTier(4, 0.2, 50 * RUB),
        ),
    ),
    GameSpec(
        id=7,
        code="instant_udacha",
        name="Моментальная лотерея «Удача»",
        price_kopecks=100 * RUB,
        popularity=0.12,
        prizes=(
            PrizeTier(1, 1e-5, 500_000 * RUB),
            PrizeTier(2, 0.005, 2_000 * RUB),
            PrizeTier(3, 0.05, 300 * RUB),
            PrizeTier(4, 0.2, 100 * RUB),
        ),
    ),
    GameSpec(
        id=8,
        code="instant_million",
        name="Моментальная лотерея «Миллион»",
        price_kopecks=500 * RUB,
        popularity=0.06,
        prizes=(
            PrizeTier(1, 1e-6, 10_000_000 * RUB),
            PrizeTier(2, 0.002, 20_000 * RUB),
            PrizeTier(3, 0.04, 2_000 * RUB),
            PrizeTier(4, 0.2, 500 * RUB),
        ),
    ),
)

GAME_INDEX = {game.id: index for index, game in enumerate(GAMES)}
CHANNELS = vocab.SALES_CHANNELS
CHANNEL_INDEX = {name: index for index, name in enumerate(CHANNELS)}

# Which games each sales channel sells: post offices carry the weekly draws, 6 из 45 and scratch cards;
# partners (phone shops, banks) carry the big draws and the daily numeric games.
_SOLD_BY = {
    "retail_kiosk": {1, 2, 3, 4, 5, 6, 7, 8},
    "post_office": {1, 2, 3, 7, 8},
    "website": {1, 2, 3, 4, 5, 6, 7, 8},
    "app": {1, 2, 3, 4, 5, 6, 7, 8},
    "partner": {1, 2, 3, 4, 5, 7},
}


def availability() -> np.ndarray:
    """channels × games matrix of 0/1: can this channel sell this game."""
    return np.array([[float(g.id in _SOLD_BY[c]) for g in GAMES] for c in CHANNELS], dtype=np.float32)


def popularity() -> np.ndarray:
    shares = np.array([g.popularity for g in GAMES])
    return shares / shares.sum()


def prices_kopecks() -> np.ndarray:
    return np.array([g.price_kopecks for g in GAMES], dtype=np.int64)
