"""``simulate advance``: move simulated time forward day by day past the lake's last simulated day.

Each day, every player behaves as the run's model says, continued from their state: a player who has not
bought yet makes the first purchase an Exponential delay on; an alive player's repeat occasions are a Poisson
process of rate λ in operational time, each followed by a dropout with probability p (both memoryless, so
simulating day by day is exact). What, where and how much follow the player's tastes as in the run. Then the
campaigns: treated members of planted runs (``campaign_effects``) get their extra purchase occasion on the
day it falls, and deterred members lose their purchases inside their window; control members get nothing.

A day's tickets are one lake batch ``sim-s<seed>-n<players>-d<YYYYMMDD>`` (ids ``(100 000 + day number) ×
10¹⁰ + sequence``), committed atomically; the state moves on only after it. Days already simulated are
refused, never written twice. Each day draws from ``SeedSequence([seed, 2, day number])``; the campaigns'
draws come after the baseline's, so adding a campaign leaves everyone else's purchases exactly as they were.

Anonymous walk-in tickets carry on at the run's rate per operational week. Not simulated past the
run's end: wins and sessions of the new tickets, new registrations, consent changes, monthly spend limits
(the new days' occasions are not checked against them), home kiosks (retail buyers pick any kiosk or post
office of their region).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from lottocrm.lake.store import Lake
from lottocrm.simulator.advance_world import (
    ALIVE,
    LAPSED,
    MAX_DAYS_PAST_END,
    NOT_YET,
    AdvanceRefused,
    State,
    World,
    build_world,
    load_state,
    save_state,
)
from lottocrm.simulator.campaign_effects import MEMBER_COLUMNS, Planting, plant_runs
from lottocrm.simulator.draws import US_PER_DAY, US_PER_SECOND
from lottocrm.simulator.facts import expand_tickets
from lottocrm.simulator.games import CHANNEL_INDEX, availability, prices_kopecks
from lottocrm.simulator.geography import region_weights
from lottocrm.simulator.purchases import (
    MAX_TICKETS_PER_OCCASION,
    Occasions,
    _retail_pos,
    anonymous_occasions,
    categorical,
)
from lottocrm.simulator.timeline import Timeline

DAY_STREAM = 2
ADVANCE_ID_BASE = 100_000


@dataclass
class DayResult:
    day: dt.date
    tickets: int
    occasions: int
    nudges: int
    deterred_occasions: int


@dataclass
class AdvanceResult:
    first: dt.date
    last: dt.date
    days: list[DayResult] = field(default_factory=list)
    planted_runs: list[int] = field(default_factory=list)
    unplanted_runs: list[int] = field(default_factory=list)

    @property
    def tickets(self) -> int:
        return sum(day.tickets for day in self.days)


def batch_id(world: World, day: dt.date) -> str:
    return f"sim-s{world.config.seed}-n{world.config.players}-d{day:%Y%m%d}"


def advance(
    *,
    truth_dir: Path,
    engine: Engine,
    lake: Lake,
    days: int,
    members: pa.Table,
    first_day: dt.date | None = None,
    on_day: Callable[[DayResult], None] = lambda result: None,
) -> AdvanceResult:
    """Simulate ``days`` days after the last simulated one (or from ``first_day``, which must be that day)."""
    if days < 1:
        raise AdvanceRefused("--days must be at least 1, got %(days)s", days=days)
    missing = [name for name in MEMBER_COLUMNS if name not in members.column_names]
    if missing:
        raise AdvanceRefused("campaign members lack the column(s) %(names)s", names=", ".join(missing))
    world = build_world(truth_dir, engine)
    state = load_state(truth_dir, world.config)
    first = _first_day(world, state, first_day)
    last = first + dt.timedelta(days=days - 1)
    limit = world.config.end + dt.timedelta(days=MAX_DAYS_PAST_END - 1)
    if last > limit:
        raise AdvanceRefused(
            "the simulated draw calendar reaches %(limit)s at most; %(days)s day(s) from %(first)s would "
            "end on %(last)s. Advance fewer days",
            limit=limit.isoformat(),
            days=days,
            first=first.isoformat(),
            last=last.isoformat(),
        )
    every_day = [first + dt.timedelta(days=n) for n in range(days)]
    written = [day for day in every_day if lake.has_batch("tickets", batch_id(world, day))]
    if written:
        raise AdvanceRefused(
            "the lake already holds simulated tickets of %(day)s although the simulator's state stops at "
            "%(through)s (an interrupted advance?); nothing written",
            day=written[0].isoformat(),
            through=state.through.isoformat(),
        )
    span = (world.day_bounds(first)[0], world.day_bounds(last)[1])
    planting = plant_runs(members, world=world, state=state, span=span, truth_dir=truth_dir)
    result = AdvanceResult(first, last, planted_runs=planting.planted_now, unplanted_runs=planting.unplanted)
    for day in every_day:
        occasions, day_result = simulate_day(world, state, day, planting)
        _, table = expand_tickets(occasions, world.players.ids, ADVANCE_ID_BASE + _day_number(world, day))
        day_result.tickets = table.num_rows
        lake.append("tickets", table, batch_id=batch_id(world, day))
        state.through = day
        save_state(truth_dir, state, world.players.ids)
        result.days.append(day_result)
        on_day(day_result)
    return result


def _first_day(world: World, state: State, asked: dt.date | None) -> dt.date:
    following = state.through + dt.timedelta(days=1)
    if asked is None or asked == following:
        return following
    if asked <= state.through:
        raise AdvanceRefused(
            "%(day)s is simulated already: simulated time has reached the end of %(through)s, so advancing "
            "over it again would duplicate its tickets; nothing written (advance from %(next)s)",
            day=asked.isoformat(),
            through=state.through.isoformat(),
            next=following.isoformat(),
        )
    raise AdvanceRefused(
        "simulated time stops at the end of %(through)s: advancing from %(day)s would leave the days between "
        "without purchases; advance from %(next)s",
        through=state.through.isoformat(),
        day=asked.isoformat(),
        next=following.isoformat(),
    )


def _day_number(world: World, day: dt.date) -> int:
    return (day - world.config.end).days


def simulate_day(world: World, state: State, day: dt.date, planting: Planting) -> tuple[Occasions, DayResult]:
    """The day's occasions (baseline, then the campaigns' effects) and the state moved to its end."""
    rng = np.random.default_rng(
        np.random.SeedSequence([world.config.seed, DAY_STREAM, _day_number(world, day)])
    )
    start_us, end_us = world.day_bounds(day)
    player, times = _baseline_times(world, state, start_us, end_us, rng)
    baseline = _dress(world, player, times, rng)
    walk_ins = _anonymous(world, start_us, end_us, rng)
    keep = _not_deterred(planting.active, world, player, times)
    nudged_player, nudged_at = _nudges(planting.active, world, start_us, end_us)
    nudges = _dress(world, nudged_player, nudged_at, rng)
    occasions = _concat(_concat(baseline.keep(keep), walk_ins), nudges)
    return occasions, DayResult(day, 0, len(occasions), nudged_player.size, int((~keep).sum()))


def _baseline_times(
    world: World, state: State, start_us: int, end_us: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    players, params = world.players, world.config.population
    count = players.ids.size
    day_start, day_end = world.weeks(np.array([start_us, end_us]))
    first_at = start_us + (rng.exponential(params.first_purchase_mean_days, size=count) * US_PER_DAY).astype(
        np.int64
    )
    first_at = np.maximum(first_at // US_PER_SECOND * US_PER_SECOND, start_us)
    starting = np.flatnonzero((state.status == NOT_YET) & (first_at < end_us))
    state.status[starting] = ALIVE

    buying = np.flatnonzero(state.status == ALIVE)
    begin = np.full(buying.size, day_start)
    is_new = np.isin(buying, starting)
    begin[is_new] = world.weeks(first_at[buying[is_new]])
    span = np.maximum(day_end - begin, 0.0)
    possible = rng.poisson(players.rate[buying] * span)
    before_dropout = rng.geometric(players.dropout[buying])
    repeats = np.minimum(possible, before_dropout)
    lapses = before_dropout <= possible

    owner = np.repeat(np.arange(buying.size), possible)
    fraction = rng.random(owner.size)
    order = np.lexsort((fraction, owner))
    owner, fraction = owner[order], fraction[order]
    rank = np.arange(owner.size) - (np.cumsum(possible) - possible)[owner]
    kept = rank < repeats[owner]
    moment = world.timeline.to_calendar(begin[owner] + fraction * span[owner])
    moment = np.clip(moment // US_PER_SECOND * US_PER_SECOND, start_us, end_us - 1)

    lapsed_rows = kept & (rank == repeats[owner] - 1) & lapses[owner]
    state.status[buying[owner[lapsed_rows]]] = LAPSED
    state.lapsed_at[buying[owner[lapsed_rows]]] = moment[lapsed_rows]

    player = np.concatenate([starting, buying[owner[kept]]])
    times = np.concatenate([first_at[starting], moment[kept]])
    order = np.argsort(times, kind="stable")
    return player[order], times[order]


def _anonymous(world: World, start_us: int, end_us: int, rng: np.random.Generator) -> Occasions:
    """Walk-in tickets of people the operator does not know, at the run's own rate per operational week (the
    run spread them uniformly over operational time), so their level carries on unchanged."""
    day_weeks = np.diff(world.weeks(np.array([start_us, end_us])))[0]
    count = int(rng.poisson(world.anonymous_per_week * day_weeks))
    day = Timeline.build(start_us, end_us, world.calendar, normalised_by=world.scale)
    params = world.config.population
    return anonymous_occasions(count, day, world.calendar, world.points, params, region_weights(), rng)


def _not_deterred(runs: list[pa.Table], world: World, player: np.ndarray, times: np.ndarray) -> np.ndarray:
    keep = np.ones(player.size, dtype=bool)
    for run in runs:
        deterred = run.filter(run["deterred"])
        if deterred.num_rows == 0:
            continue
        index = np.searchsorted(world.players.ids, deterred["player_id"].to_numpy())
        low = deterred["assigned_at"].cast(pa.int64()).to_numpy()
        high = deterred["window_ends_at"].cast(pa.int64()).to_numpy()
        # Each player is a member of a run once: find the occasion's member row, if the player has one.
        order = np.argsort(index)
        slot = np.clip(np.searchsorted(index[order], player), 0, index.size - 1)
        row = order[slot]
        hit = (index[row] == player) & (times >= low[row]) & (times < high[row])
        keep &= ~hit
    return keep


def _nudges(runs: list[pa.Table], world: World, start_us: int, end_us: int) -> tuple[np.ndarray, np.ndarray]:
    players, moments = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for run in runs:
        at = pc.fill_null(run["nudge_at"].cast(pa.int64()), -1).to_numpy()
        due = (at >= start_us) & (at < end_us)
        players.append(np.searchsorted(world.players.ids, run["player_id"].to_numpy()[due]))
        moments.append(at[due] // US_PER_SECOND * US_PER_SECOND)
    return np.concatenate(players), np.concatenate(moments)


def _dress(world: World, player: np.ndarray, times: np.ndarray, rng: np.random.Generator) -> Occasions:
    """Channel, game, tickets, outlet and draw of each occasion, from the player's tastes (as in the run)."""
    players, params, points = world.players, world.config.population, world.points
    channel = categorical(players.channels[player], rng) if player.size else np.empty(0, np.int64)
    lifts = world.calendar.lift_at(times)
    weights = players.games[player] * lifts * availability()[channel]
    game = categorical(weights, rng) if player.size else np.empty(0, np.int64)
    spend = rng.gamma(params.p, 100.0 / players.spend_rate[player])
    tickets = np.clip(np.rint(spend / prices_kopecks()[game]), 1, MAX_TICKETS_PER_OCCASION).astype(np.int64)
    region = players.region[player]
    pos_id = _retail_pos(channel, region, None, points, rng)
    pos_id[channel == CHANNEL_INDEX["website"]] = points.website_id
    pos_id[channel == CHANNEL_INDEX["app"]] = points.app_id
    on_partner = channel == CHANNEL_INDEX["partner"]
    pos_id[on_partner] = points.partner_first + rng.integers(
        0, points.partner_count, size=int(on_partner.sum())
    )
    draw_id, draw_at = world.calendar.assign(game, times, params.new_year_draw_share, rng)
    return Occasions(player, times, channel, game, tickets, pos_id, region, draw_id, draw_at)


def _concat(first: Occasions, second: Occasions) -> Occasions:
    return Occasions(
        **{name: np.concatenate([value, getattr(second, name)]) for name, value in vars(first).items()}
    )
