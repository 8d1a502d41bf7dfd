"""The draw calendar: when each draw game draws, its jackpot, whether the jackpot was hit, its results.

Jackpots follow each game's exogenous process (the whole national market, not just the simulated players):
after a draw without a jackpot winner the jackpot grows by a Gamma-distributed amount, after a hit it falls
back to the base. A large jackpot lifts sales of its game (see :func:`DrawCalendar.lift_at`).
Times are int64 microseconds since the Unix epoch, UTC, throughout the simulator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.simulator.games import GAMES, GameSpec
from lottocrm.simulator.local_time import US_PER_DAY, US_PER_SECOND, from_local_us
from lottocrm.simulator.params import PopulationParams

US_PER_MINUTE = 60 * US_PER_SECOND
# 1970-01-01 was a Thursday: Monday = 0 means day number + 3.
EPOCH_WEEKDAY = 3
NEW_YEAR_JACKPOT_KOPECKS = 1_000_000_000 * 100
NEW_YEAR_DRAW_MINUTE = 14 * 60
# Русское лото tickets go to the New Year draw from this many days before it (15 November).
NEW_YEAR_SALES_DAYS = 47
# Draws are laid out this far past the simulated 'now' so late tickets always have a draw to go to.
CALENDAR_TAIL_DAYS = 60
DRAW_ID_STRIDE = 10_000_000


def to_us(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * US_PER_SECOND


def _days(first: dt.date, last: dt.date) -> np.ndarray:
    """Day numbers since the epoch from ``first`` to ``last`` inclusive."""
    epoch = dt.date(1970, 1, 1)
    return np.arange((first - epoch).days, (last - epoch).days + 1, dtype=np.int64)


@dataclass(frozen=True)
class GameDraws:
    game: GameSpec
    ids: np.ndarray
    draw_at: np.ndarray  # sorted
    jackpot: np.ndarray
    jackpot_won: np.ndarray
    lift: np.ndarray
    new_year: np.ndarray  # bool: this is a New Year draw


def _schedule_times(game: GameSpec, first: dt.date, last: dt.date) -> tuple[np.ndarray, np.ndarray]:
    assert game.schedule is not None
    days = _days(first, last)
    weekday = (days + EPOCH_WEEKDAY) % 7
    days = days[np.isin(weekday, game.schedule.weekdays)]
    minutes = np.array(game.schedule.minutes, dtype=np.int64)
    times = from_local_us((days[:, None] * US_PER_DAY + minutes[None, :] * US_PER_MINUTE).ravel())
    new_year = np.zeros(times.size, dtype=bool)
    if game.schedule.has_new_year_draw:
        january_firsts = [dt.date(year, 1, 1) for year in range(first.year, last.year + 1)]
        ny_days = np.array([(d - dt.date(1970, 1, 1)).days for d in january_firsts if first <= d <= last])
        ny_times = from_local_us(ny_days * US_PER_DAY + NEW_YEAR_DRAW_MINUTE * US_PER_MINUTE)
        # The New Year draw replaces a regular draw that falls on 1 January.
        keep = ~np.isin(times // US_PER_DAY, ny_days)
        times = np.concatenate([times[keep], ny_times])
        new_year = np.concatenate([new_year[keep], np.ones(ny_times.size, dtype=bool)])
    order = np.argsort(times, kind="stable")
    return times[order], new_year[order]


def _results_json(balls: np.ndarray, jackpot_won: np.ndarray) -> pa.Array:
    """{"numbers": [...], "jackpot_won": ...} for every draw, joined column-wise in Arrow, not row by row."""
    numbers = [pc.cast(pa.array(balls[:, column]), pa.string()) for column in range(balls.shape[1])]
    listed = pc.binary_join_element_wise(*numbers, ", ") if numbers else pa.array([""] * balls.shape[0])
    won = pa.array(np.where(jackpot_won, "true", "false"))
    return pc.binary_join_element_wise('{"numbers": [', listed, '], "jackpot_won": ', won, "}", "")


def _jackpots(game: GameSpec, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Jackpot before each draw and whether the draw hit it, vectorised over the whole sequence."""
    process = game.jackpot
    assert process is not None
    hit = rng.random(count) < process.hit_probability
    growth = rng.gamma(4.0, process.mean_growth_kopecks / 4.0, size=count)
    grown = np.concatenate([[0.0], np.cumsum(growth)])
    last_hit = np.maximum.accumulate(np.where(hit, np.arange(count), -1))
    since = np.concatenate([[0], last_hit[:-1] + 1])  # first draw whose growth still counts
    jackpot = process.base_kopecks + np.round(grown[np.arange(count)] - grown[since]).astype(np.int64)
    return jackpot, hit


@dataclass(frozen=True)
class DrawCalendar:
    games: tuple[GameDraws, ...]
    end_us: int

    @classmethod
    def build(
        cls, start: dt.date, end: dt.date, params: PopulationParams, rng: np.random.Generator
    ) -> DrawCalendar:
        last = end + dt.timedelta(days=CALENDAR_TAIL_DAYS)
        built = []
        for game in GAMES:
            if game.schedule is None or game.jackpot is None:
                continue
            times, new_year = _schedule_times(game, start, last)
            jackpot, hit = _jackpots(game, times.size, rng)
            jackpot[new_year] = NEW_YEAR_JACKPOT_KOPECKS
            hit[new_year] = True  # the New Year draw always pays its superprize out
            lift = np.minimum(
                params.jackpot_lift_cap, (jackpot / game.jackpot.base_kopecks) ** params.jackpot_elasticity
            )
            lift[new_year] = params.new_year_lift
            ids = game.id * DRAW_ID_STRIDE + np.arange(1, times.size + 1, dtype=np.int64)
            built.append(GameDraws(game, ids, times, jackpot, hit, lift, new_year))
        return cls(tuple(built), to_us(dt.datetime.combine(end, dt.time(), dt.UTC)))

    def for_game(self, game_id: int) -> GameDraws | None:
        return next((g for g in self.games if g.game.id == game_id), None)

    # ---- sales effects ------------------------------------------------------------------------------------
    def lift_at(self, times_us: np.ndarray) -> np.ndarray:
        """times × games matrix of jackpot lifts: the lift of each game's next draw (1 for instant games)."""
        lifts = np.ones((times_us.size, len(GAMES)), dtype=np.float32)
        for column, game in enumerate(GAMES):
            draws = self.for_game(game.id)
            if draws is None:
                continue
            following = np.minimum(
                np.searchsorted(draws.draw_at, times_us, side="right"), draws.draw_at.size - 1
            )
            lift = draws.lift[following]
            if draws.new_year.any():
                # From mid-November Русское лото players buy for the New Year draw, not next Sunday's.
                new_year_lift = draws.lift[draws.new_year][0]
                lift = np.where(
                    self._in_new_year_sales(draws, times_us), np.maximum(lift, new_year_lift), lift
                )
            lifts[:, column] = lift
        return lifts

    @staticmethod
    def _next_new_year(draws: GameDraws, times_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index (into the game's draws) of the next New Year draw after each time, and whether one exists."""
        ny_index = np.flatnonzero(draws.new_year)
        slot = np.searchsorted(draws.draw_at[ny_index], times_us, side="right")
        exists = slot < ny_index.size
        return ny_index[np.minimum(slot, ny_index.size - 1)], exists

    def _in_new_year_sales(self, draws: GameDraws, times_us: np.ndarray) -> np.ndarray:
        index, exists = self._next_new_year(draws, times_us)
        return exists & (draws.draw_at[index] - times_us <= NEW_YEAR_SALES_DAYS * US_PER_DAY)

    def assign(
        self, game_index: np.ndarray, sold_at: np.ndarray, share_to_new_year: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """The draw each ticket plays in (the game's next draw) and its time; -1 / -1 for instant games."""
        draw_id = np.full(sold_at.size, -1, dtype=np.int64)
        draw_at = np.full(sold_at.size, -1, dtype=np.int64)
        for column, game in enumerate(GAMES):
            draws = self.for_game(game.id)
            if draws is None:
                continue
            rows = np.flatnonzero(game_index == column)
            times = sold_at[rows]
            slot = np.searchsorted(draws.draw_at, times, side="right")
            if draws.new_year.any():
                ny_slot, _ = self._next_new_year(draws, times)
                to_ny = self._in_new_year_sales(draws, times) & (rng.random(rows.size) < share_to_new_year)
                slot = np.where(to_ny, ny_slot, slot)
            draw_id[rows] = draws.ids[slot]
            draw_at[rows] = draws.draw_at[slot]
        return draw_id, draw_at

    def jackpot_won(self, draw_id: np.ndarray) -> np.ndarray:
        won = np.zeros(draw_id.size, dtype=bool)
        for draws in self.games:
            rows = np.flatnonzero(draw_id // DRAW_ID_STRIDE == draws.game.id)
            won[rows] = draws.jackpot_won[draw_id[rows] % DRAW_ID_STRIDE - 1]
        return won

    def jackpot_of(self, draw_id: np.ndarray) -> np.ndarray:
        amount = np.zeros(draw_id.size, dtype=np.int64)
        for draws in self.games:
            rows = np.flatnonzero(draw_id // DRAW_ID_STRIDE == draws.game.id)
            amount[rows] = draws.jackpot[draw_id[rows] % DRAW_ID_STRIDE - 1]
        return amount

    # ---- the draws table ----------------------------------------------------------------------------------
    def table(self, rng: np.random.Generator) -> pa.Table:
        ids, games, numbers, times, jackpots, statuses, results = [], [], [], [], [], [], []
        for draws in self.games:
            drawn = draws.draw_at < self.end_us
            picked, pool = draws.game.numbers or (0, 0)
            balls = np.sort(rng.random((draws.ids.size, pool)).argsort(axis=1)[:, :picked] + 1, axis=1)
            ids.append(draws.ids)
            games.append(np.full(draws.ids.size, draws.game.id, dtype=np.int32))
            numbers.append((draws.ids % DRAW_ID_STRIDE).astype(np.int32))
            times.append(draws.draw_at)
            jackpots.append(draws.jackpot)
            statuses.append(np.where(drawn, "drawn", "scheduled"))
            results.append(pc.if_else(pa.array(drawn), _results_json(balls, draws.jackpot_won), None))
        return pa.table(
            {
                "id": pa.array(np.concatenate(ids)),
                "game_id": pa.array(np.concatenate(games)),
                "number": pa.array(np.concatenate(numbers)),
                "draw_at": pa.array(np.concatenate(times)).cast(pa.timestamp("us", tz="UTC")),
                "jackpot_kopecks": pa.array(np.concatenate(jackpots)),
                "status": pa.array(np.concatenate(statuses)),
                "results": pa.chunked_array(results, pa.string()).combine_chunks(),
            }
        )
