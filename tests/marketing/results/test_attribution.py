"""Attribution views against a plain-Python rendering of Unica's rules on random contact histories."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pytest

from lottocrm.marketing.results import attribute, attributed_totals


def _reference(players: list[int], campaigns: list[int], times: list[int]) -> dict[tuple[int, int], tuple]:
    latest: dict[tuple[int, int], int] = {}
    for player, campaign, moment in zip(players, campaigns, times, strict=True):
        latest[(player, campaign)] = max(latest.get((player, campaign), moment), moment)
    by_player: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (player, campaign), moment in latest.items():
        by_player[player].append((moment, campaign))
    credit = {}
    for player, reached in by_player.items():
        winner = max(reached)[1]  # the latest contact; on a tie the larger campaign id
        for _, campaign in reached:
            credit[(player, campaign)] = (float(campaign == winner), 1 / len(reached), 1.0)
    return credit


def test_the_three_views_match_the_rules_written_out() -> None:
    rng = np.random.default_rng(17)
    rows = 5_000
    players, campaigns = rng.integers(1, 800, rows), rng.integers(1, 12, rows)
    times = rng.integers(0, 200, rows)  # coarse, so ties on the latest contact happen
    result = attribute(player=players, campaign=campaigns, contacted_at=times)
    reference = _reference(players.tolist(), campaigns.tolist(), times.tolist())
    got = {
        (int(p), int(c)): (b, f, m)
        for p, c, b, f, m in zip(
            result.player, result.campaign, result.best, result.fractional, result.multiple, strict=True
        )
    }
    assert got.keys() == reference.keys()
    for key, views in reference.items():
        assert got[key] == pytest.approx(views)
    # Per player the best view gives exactly one credit and the fractional view sums to one.
    assert result.best.sum() == pytest.approx(len(set(players.tolist())))
    assert result.fractional.sum() == pytest.approx(len(set(players.tolist())))


def test_the_latest_contact_wins_with_aware_datetimes_and_datetime64() -> None:
    moscow = dt.timezone(dt.timedelta(hours=3))
    # 12:00 in Moscow is 09:00 UTC: earlier than 10:00 UTC although the wall clock says later.
    aware = [dt.datetime(2026, 12, 1, 12, 0, tzinfo=moscow), dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)]
    result = attribute(player=[7, 7], campaign=[101, 102], contacted_at=aware)
    assert dict(zip(result.campaign.tolist(), result.best.tolist(), strict=True)) == {101: 0.0, 102: 1.0}
    stamps = np.array(["2026-12-01T09:00", "2026-12-01T10:00"], dtype="datetime64[m]")
    again = attribute(player=[7, 7], campaign=[101, 102], contacted_at=stamps)
    assert again.best.tolist() == result.best.tolist()


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        attribute(player=[1], campaign=[1], contacted_at=[dt.datetime(2026, 12, 1, 9, 0)])


def test_totals_credit_each_players_value_to_the_campaigns_that_reached_them() -> None:
    result = attribute(player=[1, 1, 2, 3], campaign=[10, 20, 20, 10], contacted_at=[1, 2, 1, 5])
    totals = attributed_totals(result, player=[1, 2, 3, 4], value=[30_000, 10_000, 0, 99_999])
    table = {
        int(c): (b, f, m)
        for c, b, f, m in zip(totals.campaign, totals.best, totals.fractional, totals.multiple, strict=True)
    }
    assert table == {10: (0.0, 15_000.0, 30_000.0), 20: (40_000.0, 25_000.0, 40_000.0)}
    assert totals.to_dict()["campaign"] == [10, 20]


def test_a_player_valued_twice_is_refused() -> None:
    result = attribute(player=[1], campaign=[10], contacted_at=[1])
    with pytest.raises(ValueError, match="player 1 is listed twice"):
        attributed_totals(result, player=[1, 1], value=[1, 2])
