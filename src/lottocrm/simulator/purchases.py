"""Purchase occasions of registered players: BG/NBD timing in operational time, then what, where and how much.

Timing, per buyer: the first purchase comes an Exponential delay after registration. From there, in
operational time (see ``timeline``), repeat occasions form a Poisson process of rate λ; after each repeat
occasion the player drops out with probability p, so the number of repeat occasions before dropping out is
J ~ Geometric(p). With N ~ Poisson(λ · span) events possible before the window ends, the player makes
m = min(N, J) repeats and has lapsed iff J ≤ N, at the time of the J-th. The m event times are the first m
order statistics of N uniforms on the span, drawn in O(m) as cumulative exponentials over their total plus
a Gamma(N − m + 1) remainder. Everything is vectorised over the chunk: no Python loop per player or ticket.

At each occasion the player picks a channel from their channel tastes, then a game with probability
∝ taste × jackpot lift of that game's next draw × whether the channel sells it, then spends
z ~ Gamma(p, ν) roubles, bought as max(1, round(z / price)) tickets of that game, all at the same instant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottocrm.simulator.behaviour import Behaviour
from lottocrm.simulator.draws import US_PER_DAY, US_PER_SECOND, DrawCalendar
from lottocrm.simulator.games import CHANNEL_INDEX, availability, popularity, prices_kopecks
from lottocrm.simulator.geography import PointsOfSale
from lottocrm.simulator.params import PopulationParams
from lottocrm.simulator.players import Profiles
from lottocrm.simulator.timeline import Timeline

MAX_TICKETS_PER_OCCASION = 100
HOME_KIOSK_SHARE = 0.75


@dataclass(frozen=True)
class Lifetimes:
    """Per player of the chunk; -1 where there is no such time."""

    first_purchase_at: np.ndarray
    lapsed_at: np.ndarray
    repeat_occasions: np.ndarray


@dataclass
class Occasions:
    """One row per purchase occasion (a basket of tickets of one game, at one instant, in one place)."""

    player: np.ndarray  # index into the chunk's players; -1 for anonymous
    sold_at: np.ndarray
    channel: np.ndarray
    game: np.ndarray
    tickets: np.ndarray
    pos_id: np.ndarray
    region: np.ndarray
    draw_id: np.ndarray
    draw_at: np.ndarray

    def __len__(self) -> int:
        return self.sold_at.size

    def keep(self, mask: np.ndarray) -> Occasions:
        return Occasions(**{name: value[mask] for name, value in vars(self).items()})


def categorical(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of a non-negative weight matrix."""
    cumulative = np.cumsum(weights, axis=1, dtype=np.float64)
    threshold = rng.random(weights.shape[0]) * cumulative[:, -1]
    return np.minimum((cumulative <= threshold[:, None]).sum(axis=1), weights.shape[1] - 1)


def occasion_times(
    profiles: Profiles,
    behaviour: Behaviour,
    timeline: Timeline,
    params: PopulationParams,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, Lifetimes]:
    """(player index, time) of every occasion, grouped by player in time order, and each player's lifetime."""
    count = len(profiles)
    delay = (rng.exponential(params.first_purchase_mean_days, size=count) * US_PER_DAY).astype(np.int64)
    first = profiles.registered_at + np.maximum(delay, US_PER_SECOND)
    buying = np.flatnonzero(behaviour.buyer & (first < timeline.end_us))

    start = timeline.to_operational(first[buying])
    span = np.maximum(timeline.total_weeks - start, 0.0)
    possible = rng.poisson(behaviour.rate[buying] * span)
    before_dropout = rng.geometric(behaviour.dropout[buying])
    repeats = np.minimum(possible, before_dropout)
    lapsed = before_dropout <= possible

    owner = np.repeat(np.arange(buying.size), repeats)
    ends = np.cumsum(repeats)
    gaps = rng.standard_exponential(int(ends[-1]) if ends.size else 0)
    running = np.cumsum(gaps)
    before = np.concatenate([[0.0], running])[ends - repeats]  # cumulative sum before each player's segment
    arrival = running - before[owner]
    last_arrival = np.where(repeats > 0, np.concatenate([[0.0], arrival])[ends], 0.0)
    remainder = rng.standard_gamma(possible - repeats + 1.0)
    fraction = arrival / (last_arrival + remainder)[owner]
    repeat_times = timeline.to_calendar(start[owner] + fraction * span[owner])

    # Interleave each buyer's first purchase before their repeats.
    per_player = repeats + 1
    offsets = np.cumsum(per_player) - per_player
    times = np.empty(int(per_player.sum()), dtype=np.int64)
    is_first = np.zeros(times.size, dtype=bool)
    is_first[offsets] = True
    times[is_first] = first[buying]
    times[~is_first] = repeat_times
    times = times // US_PER_SECOND * US_PER_SECOND
    players = np.repeat(buying, per_player)

    first_purchase_at = np.full(count, -1, dtype=np.int64)
    first_purchase_at[buying] = times[offsets]
    lapsed_at = np.full(count, -1, dtype=np.int64)
    lapsed_at[buying[lapsed]] = times[(offsets + repeats)[lapsed]]
    repeat_count = np.zeros(count, dtype=np.int64)
    repeat_count[buying] = repeats
    return players, times, Lifetimes(first_purchase_at, lapsed_at, repeat_count)


def _retail_pos(
    channel: np.ndarray,
    region: np.ndarray,
    home_kiosk: np.ndarray | None,
    points: PointsOfSale,
    rng: np.random.Generator,
) -> np.ndarray:
    """Kiosk or post office in the buyer's region: their home kiosk most of the time, if they have one."""
    pos = np.zeros(channel.size, dtype=np.int64)
    kiosk = channel == CHANNEL_INDEX["retail_kiosk"]
    random_kiosk = points.kiosk_first[region] + (
        rng.random(channel.size) * points.kiosk_count[region]
    ).astype(np.int64)
    if home_kiosk is not None:
        random_kiosk = np.where(rng.random(channel.size) < HOME_KIOSK_SHARE, home_kiosk, random_kiosk)
    pos[kiosk] = random_kiosk[kiosk]
    post = channel == CHANNEL_INDEX["post_office"]
    random_post = points.post_first[region] + (rng.random(channel.size) * points.post_count[region]).astype(
        np.int64
    )
    pos[post] = random_post[post]
    return pos


def registered_occasions(
    profiles: Profiles,
    behaviour: Behaviour,
    timeline: Timeline,
    calendar: DrawCalendar,
    points: PointsOfSale,
    params: PopulationParams,
    rng: np.random.Generator,
) -> tuple[Occasions, Lifetimes]:
    players, times, lifetimes = occasion_times(profiles, behaviour, timeline, params, rng)
    channel = categorical(behaviour.channels[players], rng)
    weights = behaviour.games[players] * timeline.lifts[timeline.hour_of(times)] * availability()[channel]
    game = categorical(weights, rng)
    spend_kopecks = rng.gamma(params.p, 100.0 / behaviour.spend_rate[players])
    tickets = np.clip(np.rint(spend_kopecks / prices_kopecks()[game]), 1, MAX_TICKETS_PER_OCCASION).astype(
        np.int64
    )

    region = profiles.region[players]
    home_kiosk = points.kiosk_first[profiles.region] + (
        rng.random(len(profiles)) * points.kiosk_count[profiles.region]
    ).astype(np.int64)
    pos_id = _retail_pos(channel, region, home_kiosk[players], points, rng)
    pos_id[channel == CHANNEL_INDEX["website"]] = points.website_id
    pos_id[channel == CHANNEL_INDEX["app"]] = points.app_id
    partner = points.partner_first + rng.integers(0, points.partner_count, size=len(profiles))
    on_partner = channel == CHANNEL_INDEX["partner"]
    pos_id[on_partner] = partner[players][on_partner]

    draw_id, draw_at = calendar.assign(game, times, params.new_year_draw_share, rng)
    occasions = Occasions(players, times, channel, game, tickets, pos_id, region, draw_id, draw_at)
    return occasions, lifetimes


def anonymous_occasions(
    tickets: int,
    timeline: Timeline,
    calendar: DrawCalendar,
    points: PointsOfSale,
    params: PopulationParams,
    region_weights: np.ndarray,
    rng: np.random.Generator,
) -> Occasions:
    """Single tickets bought at kiosks and post offices by people the operator does not know.

    Their times follow the population intensity (uniform in operational time), games the popularity
    weighted by jackpot lift and by what the outlet sells.
    """
    times = timeline.to_calendar(rng.random(tickets) * timeline.total_weeks) // US_PER_SECOND * US_PER_SECOND
    channel = np.where(rng.random(tickets) < 0.8, CHANNEL_INDEX["retail_kiosk"], CHANNEL_INDEX["post_office"])
    region = rng.choice(region_weights.size, size=tickets, p=region_weights)
    weights = popularity()[None, :] * timeline.lifts[timeline.hour_of(times)] * availability()[channel]
    game = categorical(weights, rng)
    pos_id = _retail_pos(channel, region, None, points, rng)
    draw_id, draw_at = calendar.assign(game, times, params.new_year_draw_share, rng)
    return Occasions(
        np.full(tickets, -1, dtype=np.int64),
        times,
        channel,
        game,
        np.ones(tickets, dtype=np.int64),
        pos_id,
        region,
        draw_id,
        draw_at,
    )
