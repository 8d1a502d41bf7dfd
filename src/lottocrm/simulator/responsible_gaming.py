"""Responsible gaming: monthly spend limits that really block purchases, and self-exclusions after lapsing.

A limit is chosen at registration as the smallest standard level at least twice the player's expected
monthly spend (or the top level), so most limits rarely bind; when one does, the purchase that would push
the month's spend over it, and every later one that month, is refused. Self-excluded players are drawn
among those who lapsed: the exclusion starts the day after their last purchase, so no ticket ever falls
inside an exclusion.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from lottocrm.simulator.behaviour import Behaviour
from lottocrm.simulator.draws import US_PER_DAY
from lottocrm.simulator.games import prices_kopecks
from lottocrm.simulator.local_time import to_local_us
from lottocrm.simulator.params import PopulationParams
from lottocrm.simulator.players import Profiles
from lottocrm.simulator.purchases import Lifetimes, Occasions

LIMIT_LEVELS_KOPECKS = np.array([3_000, 5_000, 10_000, 30_000, 100_000]) * 100
WEEKS_PER_MONTH = 4.35
EXCLUSION_MONTHS = np.array([6, 12, 60])
EXCLUSION_SHARE = np.array([0.4, 0.4, 0.2])


def spend_limits(behaviour: Behaviour, params: PopulationParams, rng: np.random.Generator) -> np.ndarray:
    """Monthly limit in kopecks per player, 0 for none."""
    has_limit = behaviour.buyer & (rng.random(behaviour.rate.size) < params.spend_limit_share)
    expected_month = behaviour.rate * WEEKS_PER_MONTH * params.p / behaviour.spend_rate * 100
    level = np.minimum(
        np.searchsorted(LIMIT_LEVELS_KOPECKS, 2 * expected_month), LIMIT_LEVELS_KOPECKS.size - 1
    )
    return np.where(has_limit, LIMIT_LEVELS_KOPECKS[level], 0)


def enforce_spend_limits(occasions: Occasions, limits: np.ndarray) -> Occasions:
    """Drop occasions that would take a limited player's spend in a calendar month (the operator's) over the
    limit.

    Occasions arrive grouped by player in time order, so a running sum per (player, month) is a cumulative
    sum with resets at group starts.
    """
    limit = limits[occasions.player]
    limited = limit > 0
    if not limited.any():
        return occasions
    spend = occasions.tickets * prices_kopecks()[occasions.game]
    month = to_local_us(occasions.sold_at).astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    new_group = np.ones(spend.size, dtype=bool)
    new_group[1:] = (occasions.player[1:] != occasions.player[:-1]) | (month[1:] != month[:-1])
    running = np.cumsum(spend)
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(spend.size), 0))
    within_month = running - np.concatenate([[0], running])[group_start]
    return occasions.keep(~limited | (within_month <= limit))


def responsible_gaming_table(
    profiles: Profiles,
    limits: np.ndarray,
    lifetimes: Lifetimes,
    params: PopulationParams,
    end_us: int,
    rng: np.random.Generator,
) -> pa.Table:
    count = len(profiles)
    exclusion_start = lifetimes.lapsed_at // US_PER_DAY * US_PER_DAY + US_PER_DAY
    excluded = (lifetimes.lapsed_at >= 0) & (exclusion_start < end_us)
    excluded &= rng.random(count) < params.self_exclusion_share_of_lapsed
    months = rng.choice(EXCLUSION_MONTHS, size=count, p=EXCLUSION_SHARE)
    start_day = (exclusion_start // US_PER_DAY).astype("datetime64[D]")
    until = (start_day.astype("datetime64[M]") + months).astype("datetime64[D]") + (
        start_day - start_day.astype("datetime64[M]").astype("datetime64[D]")
    )
    rows = np.flatnonzero(excluded | (limits > 0))
    excluded, limits = excluded[rows], limits[rows]
    flags = np.where(
        excluded & (limits > 0),
        json.dumps(["self_excluded", "spend_limit"]),
        np.where(excluded, json.dumps(["self_excluded"]), json.dumps(["spend_limit"])),
    )
    return pa.table(
        {
            "player_id": pa.array(profiles.player_id[rows]),
            "self_excluded_until": pa.array(until[rows], mask=~excluded).cast(pa.date32()),
            "monthly_spend_limit_kopecks": pa.array(limits, pa.int64(), mask=limits == 0),
            "flags": pa.array(flags, pa.string()),
            "note": pa.array(np.where(excluded, "Самоисключение по заявлению игрока", ""), mask=~excluded),
            "updated_at": pa.array(
                np.where(excluded, exclusion_start[rows], profiles.registered_at[rows])
            ).cast(pa.timestamp("us", tz="UTC")),
        }
    )
