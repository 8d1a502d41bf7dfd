"""What ``simulate advance`` continues from: the run's parameters, its draw calendar and time scale, every
player's hidden parameters, and the simulator's state (who is alive, up to which day time has moved).

The catalogue stream ``SeedSequence([seed, 0])`` rebuilds exactly the draw calendar the store holds (it runs
``CALENDAR_TAIL_DAYS`` past the run's end); the operational time scale continues the run's own (intensity
divided by the run window's mean), so a player's rate λ means the same per week after the end as before it.
The state lives in ``<data>/ground-truth/advance/``: ``state.parquet`` (per player: 0 never buys, 1 has not
bought yet, 2 alive, 3 lapsed; ``lapsed_at``) and ``days.json`` (the last simulated day), each replaced
atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Engine, select

from lottocrm.errors import ServiceError
from lottocrm.players.models import Player
from lottocrm.simulator import ground_truth
from lottocrm.simulator.draws import CALENDAR_TAIL_DAYS, DrawCalendar, to_us
from lottocrm.simulator.games import CHANNELS, GAMES
from lottocrm.simulator.geography import REGION_CODES, PointsOfSale, build_points_of_sale
from lottocrm.simulator.params import PopulationParams, SimulationConfig
from lottocrm.simulator.run import CATALOG_STREAM
from lottocrm.simulator.timeline import HOURS_PER_WEEK, US_PER_HOUR, Timeline, raw_intensity

ADVANCE_DIR = "advance"
STATE_FILE = "state.parquet"
DAYS_FILE = "days.json"
# Tickets of a draw game need a next draw in the calendar: stay a fortnight inside its tail.
MAX_DAYS_PAST_END = CALENDAR_TAIL_DAYS - 14
NEVER, NOT_YET, ALIVE, LAPSED = 0, 1, 2, 3


class AdvanceRefused(ServiceError):
    code = "simulation_advance_refused"


@dataclass(frozen=True)
class Players:
    """Hidden parameters, one row per player in ``player_id`` order."""

    ids: np.ndarray
    rate: np.ndarray
    dropout: np.ndarray
    spend_rate: np.ndarray
    games: np.ndarray
    channels: np.ndarray
    region: np.ndarray


@dataclass(frozen=True)
class World:
    config: SimulationConfig
    calendar: DrawCalendar
    points: PointsOfSale
    timeline: Timeline  # from the run's end to the calendar's end, on the run's time scale
    players: Players
    scale: float  # the run window's mean raw intensity: what every later timeline is divided by
    anonymous_per_week: float  # the run's walk-in tickets per operational week

    def weeks(self, times_us: np.ndarray) -> np.ndarray:
        """Operational time Λ (weeks since the run's end) of calendar times; past the calendar at rate 1."""
        times_us = np.asarray(times_us, dtype=np.int64)
        inside = self.timeline.to_operational(np.minimum(times_us, self.timeline.end_us))
        beyond = np.maximum(times_us - self.timeline.end_us, 0) / US_PER_HOUR / HOURS_PER_WEEK
        return inside + beyond

    def day_bounds(self, day: dt.date) -> tuple[int, int]:
        start = to_us(dt.datetime.combine(day, dt.time(), dt.UTC))
        return start, start + 24 * US_PER_HOUR


def load_config(truth_dir: Path) -> SimulationConfig:
    path = truth_dir / ground_truth.POPULATION_FILE
    if not path.exists():
        raise AdvanceRefused(
            "there is no simulated operator in this data folder (%(path)s is missing): run "
            "`lottocrm simulate` first",
            path=str(path),
        )
    document = json.loads(path.read_text(encoding="utf-8"))
    return SimulationConfig(
        players=document["players"],
        seed=document["seed"],
        end=dt.date.fromisoformat(document["end"]),
        years=document["years"],
        chunk_players=document["chunk_players"],
        population=PopulationParams(**document["population"]),
    )


def build_world(truth_dir: Path, engine: Engine) -> World:
    config = load_config(truth_dir)
    catalog_rng = np.random.default_rng(np.random.SeedSequence([config.seed, CATALOG_STREAM]))
    calendar = DrawCalendar.build(config.start, config.end, config.population, catalog_rng)
    start_us, end_us = to_us(config.start_utc), to_us(config.end_utc)
    scale = float(raw_intensity(start_us, end_us, calendar)[0].mean())
    tail_us = end_us + CALENDAR_TAIL_DAYS * 24 * US_PER_HOUR
    timeline = Timeline.build(end_us, tail_us, calendar, normalised_by=scale)
    points = build_points_of_sale(config.start_utc)
    totals = json.loads((truth_dir / ground_truth.POPULATION_FILE).read_text(encoding="utf-8"))["totals"]
    # The run spreads its walk-ins uniformly over operational time, whose length is the window's in weeks.
    weeks = (end_us - start_us) / US_PER_HOUR / HOURS_PER_WEEK
    anonymous = totals.get("anonymous_tickets", 0) / weeks
    return World(config, calendar, points, timeline, _players(truth_dir, engine), scale, anonymous)


def _players(truth_dir: Path, engine: Engine) -> Players:
    truth = pq.read_table(truth_dir / ground_truth.PLAYERS_DIR).sort_by("player_id")
    with engine.connect() as connection:
        rows = connection.execute(select(Player.id, Player.region).order_by(Player.id)).all()
    region_of = {code: index for index, code in enumerate(REGION_CODES)}
    regions = dict(rows)
    ids = truth["player_id"].to_numpy()
    return Players(
        ids=ids,
        rate=truth["purchase_rate_per_week"].to_numpy(),
        dropout=truth["dropout_probability"].to_numpy(),
        spend_rate=truth["spend_rate_nu"].to_numpy(),
        games=np.column_stack([truth[f"pref_game_{g.code}"].to_numpy() for g in GAMES]),
        channels=np.column_stack([truth[f"pref_channel_{c}"].to_numpy() for c in CHANNELS]),
        region=np.array([region_of.get(regions.get(int(pid)) or "", 0) for pid in ids], dtype=np.int64),
    )


# ---- state ----------------------------------------------------------------------------------------------


@dataclass
class State:
    through: dt.date  # the last simulated day (the run's end − 1 before any advance)
    status: np.ndarray
    lapsed_at: np.ndarray  # µs, −1 while alive


def initial_state(truth_dir: Path, config: SimulationConfig) -> State:
    truth = pq.read_table(
        truth_dir / ground_truth.PLAYERS_DIR, columns=["player_id", "buyer", "first_purchase_at", "lapsed_at"]
    ).sort_by("player_id")
    buyer = truth["buyer"].to_numpy(zero_copy_only=False)
    bought = truth["first_purchase_at"].is_valid().to_numpy(zero_copy_only=False)
    lapsed = truth["lapsed_at"].is_valid().to_numpy(zero_copy_only=False)
    status = np.where(~buyer, NEVER, np.where(~bought, NOT_YET, np.where(lapsed, LAPSED, ALIVE)))
    lapsed_at = pc.fill_null(truth["lapsed_at"].cast(pa.int64()), -1).to_numpy()
    return State(config.end - dt.timedelta(days=1), status.astype(np.int8), lapsed_at.copy())


def load_state(truth_dir: Path, config: SimulationConfig) -> State:
    folder = truth_dir / ADVANCE_DIR
    if not (folder / DAYS_FILE).exists():
        return initial_state(truth_dir, config)
    through = dt.date.fromisoformat(json.loads((folder / DAYS_FILE).read_text(encoding="utf-8"))["through"])
    table = pq.read_table(folder / STATE_FILE)
    return State(through, table["status"].to_numpy().copy(), table["lapsed_at"].to_numpy().copy())


def save_state(truth_dir: Path, state: State, player_ids: np.ndarray) -> None:
    """State first, then the day counter: a crash between the two leaves the counter behind, and the lake's
    per-day batch then refuses the day (see ``advance``) instead of writing it twice."""
    folder = truth_dir / ADVANCE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({"player_id": player_ids, "status": state.status, "lapsed_at": state.lapsed_at})
    _replace(folder / STATE_FILE, lambda path: pq.write_table(table, path, compression="zstd"))
    document = json.dumps({"through": state.through.isoformat()}) + "\n"
    _replace(folder / DAYS_FILE, lambda path: path.write_text(document, encoding="utf-8"))


def _replace(final: Path, write) -> None:  # type: ignore[no-untyped-def]
    temp = final.with_name(f".{final.name}.tmp")
    write(temp)
    os.replace(temp, final)
