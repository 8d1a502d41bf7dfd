"""Which campaign gets credit for a player reached by several: the three views Unica keeps side by side.

- best: the campaign of the latest contact gets full credit (1), the others 0;
- fractional: each of the n campaigns that reached the player gets 1/n;
- multiple: each gets full credit (1), so totals over campaigns exceed the player count on purpose.

Input is one row per contact (player, campaign, contact time); a campaign that contacted a player several
times counts once, at its latest contact. The caller passes only the contacts that could have caused the
response (before it, inside the campaigns' windows): Unica discards the others first, and so must the query.
Ties on the latest time go to the larger campaign id, so the view is the same on every run.
Control rows ("control, not sent") are not contacts and must not be passed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lottocrm.marketing.results import _checks


@dataclass(frozen=True, eq=False)
class Attribution:
    """One row per (player, campaign) pair, sorted by player then campaign, with each view's credit."""

    player: NDArray[Any]
    campaign: NDArray[Any]
    last_contact: NDArray[Any]
    best: NDArray[np.float64]
    fractional: NDArray[np.float64]
    multiple: NDArray[np.float64]
    views: tuple[str, ...] = field(default=("best", "fractional", "multiple"))

    def to_dict(self) -> dict[str, Any]:
        return {
            name: getattr(self, name).tolist()
            for name in ("player", "campaign", "best", "fractional", "multiple")
        }


@dataclass(frozen=True, eq=False)
class AttributedTotals:
    """Per campaign, the players' values (responses, kopecks) summed under each view's credit."""

    campaign: NDArray[Any]
    best: NDArray[np.float64]
    fractional: NDArray[np.float64]
    multiple: NDArray[np.float64]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name).tolist() for name in ("campaign", "best", "fractional", "multiple")}


def attribute(*, player: ArrayLike, campaign: ArrayLike, contacted_at: ArrayLike) -> Attribution:
    """The three views over contacts given as parallel arrays (``contacted_at``: datetime64, aware
    datetimes, or numbers such as epoch seconds)."""
    players = _ids(player, name="player")
    campaigns = _ids(campaign, name="campaign")
    times = _instants(contacted_at)
    if _checks.same_length(player=players, campaign=campaigns, contacted_at=times) == 0:
        raise ValueError("attribution needs contacts: every input is empty")
    # By player, then campaign, then time: the last row of each (player, campaign) run is its latest contact.
    order = np.lexsort((times, campaigns, players))
    players, campaigns, times = players[order], campaigns[order], times[order]
    last_of_pair = np.ones(len(players), dtype=bool)
    last_of_pair[:-1] = (players[1:] != players[:-1]) | (campaigns[1:] != campaigns[:-1])
    players, campaigns, times = players[last_of_pair], campaigns[last_of_pair], times[last_of_pair]
    starts = np.flatnonzero(np.r_[True, players[1:] != players[:-1]])
    per_player = np.diff(np.r_[starts, len(players)])
    reached_by = np.repeat(per_player, per_player)
    # The best view: per player, the pair with the latest time, ties to the larger campaign id.
    by_time = np.lexsort((campaigns, times, players))
    last_of_player = np.ones(len(players), dtype=bool)
    last_of_player[:-1] = players[by_time][1:] != players[by_time][:-1]
    best = np.zeros(len(players))
    best[by_time[last_of_player]] = 1.0
    return Attribution(
        player=players,
        campaign=campaigns,
        last_contact=times,
        best=best,
        fractional=1.0 / reached_by,
        multiple=np.ones(len(players)),
    )


def attributed_totals(attribution: Attribution, *, player: ArrayLike, value: ArrayLike) -> AttributedTotals:
    """Sum each player's ``value`` (1 per responder, or kopecks) into the campaigns that reached them, under
    each view. A player absent from ``player`` is valued 0; a player listed twice is refused."""
    players = _ids(player, name="player")
    values = _checks.vector(value, name="value")
    if values.dtype == np.bool_ or not np.issubdtype(values.dtype, np.number):
        raise ValueError(f"value must be numbers (responses or kopecks), got {values.dtype}")
    _checks.same_length(player=players, value=values)
    order = np.argsort(players, kind="stable")
    known, values = players[order], values[order].astype(np.float64)
    repeated = np.flatnonzero(known[1:] == known[:-1])
    if repeated.size:
        raise ValueError(f"player {known[repeated[0]].item()!r} is listed twice in the values")
    position = np.searchsorted(known, attribution.player)
    inside = position < len(known)
    found = np.zeros(len(attribution.player), dtype=bool)
    found[inside] = known[position[inside]] == attribution.player[inside]
    worth = np.zeros(len(attribution.player))
    worth[found] = values[position[found]]
    names, index = np.unique(attribution.campaign, return_inverse=True)
    totals = {
        view: np.bincount(index, weights=worth * getattr(attribution, view), minlength=len(names))
        for view in attribution.views
    }
    return AttributedTotals(campaign=names, **totals)


def _ids(values: ArrayLike, *, name: str) -> NDArray[Any]:
    ids = _checks.vector(values, name=name)
    if ids.dtype == object:
        missing = np.flatnonzero(np.equal(ids, None))
        if missing.size:
            raise ValueError(f"{name} must be given on every row; row {int(missing[0])} has none")
        ids = ids.astype(str)
    elif not (np.issubdtype(ids.dtype, np.integer) or ids.dtype.kind in "US"):
        raise ValueError(f"{name} must be integer or text ids, got {ids.dtype}")
    return ids


def _instants(values: ArrayLike) -> NDArray[Any]:
    """Contact times as comparable numbers: microseconds for datetimes, the numbers themselves otherwise."""
    times = _checks.vector(values, name="contacted_at")
    if times.dtype == object:
        if any(not isinstance(moment, dt.datetime) or moment.tzinfo is None for moment in times):
            raise ValueError(
                "contacted_at must be time-zone-aware datetimes (or datetime64 in UTC, or numbers)"
            )
        return np.array([moment.timestamp() for moment in times], dtype=np.float64)
    if np.issubdtype(times.dtype, np.datetime64):
        if np.isnat(times).any():
            raise ValueError(f"contacted_at row {int(np.flatnonzero(np.isnat(times))[0])} has no time")
        return times.astype("datetime64[us]").astype(np.int64)
    if times.dtype == np.bool_ or not np.issubdtype(times.dtype, np.number):
        raise ValueError(f"contacted_at must be datetimes or numbers, got {times.dtype}")
    if np.issubdtype(times.dtype, np.floating) and np.isnan(times).any():
        raise ValueError(f"contacted_at row {int(np.flatnonzero(np.isnan(times))[0])} has no time")
    return times
