"""First game for players who registered but never bought: the peers' most chosen first games."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from helpers.propensity_synthetic import basket_tickets
from lottocrm.analytics.extracts import PLAYERS_WITH_CHANNEL_SCHEMA
from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.propensity.first_game import first_game_offers
from lottocrm.lake.store import Lake

MOSCOW = dt.timezone(dt.timedelta(hours=3))
AS_OF = dt.date(2026, 6, 1)
REGISTERED = dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC)


def _players(rows: list[tuple[int, str, str | None]], *, late: int) -> pa.Table:
    registered = [REGISTERED] * len(rows) + [dt.datetime(2026, 6, 5, tzinfo=dt.UTC)]
    return pa.table(
        {
            "player_id": [p for p, _, _ in rows] + [late],
            "registered_at": registered,
            "channel": [c for _, c, _ in rows] + ["app"],
            "region": [r for _, _, r in rows] + ["RU-MOW"],
        },
        schema=PLAYERS_WITH_CHANNEL_SCHEMA,
    )


def _sell(lake: Lake, baskets: dict[int, set[int]], day: dt.date, batch: str) -> None:
    sold_at = dt.datetime.combine(day, dt.time(12), tzinfo=MOSCOW)
    lake.append("tickets", basket_tickets(baskets, sold_at=sold_at), batch_id=batch)


def test_first_games_come_from_the_narrowest_peer_group_with_enough_first_time_buyers(lake: Lake) -> None:
    recent, old = AS_OF - dt.timedelta(days=20), AS_OF - dt.timedelta(days=200)
    # First-time buyers of the last 90 days: app/RU-MOW chose 5, 5, 5, 6; app/RU-SPE chose 7; website/RU-MOW
    # bought 4 and 2 in one purchase (the lower id counts). Player 200 started long ago: not a first-timer.
    _sell(lake, {101: {5}, 102: {5}, 103: {5}, 104: {6}, 110: {7}, 120: {2, 4}, 200: {1}}, recent, "recent")
    _sell(lake, {200: {8}}, old, "old")
    # A later purchase does not change a first-timer's first game.
    _sell(lake, {101: {8}}, recent + dt.timedelta(days=5), "later")
    players = _players(
        [
            (101, "app", "RU-MOW"),
            (102, "app", "RU-MOW"),
            (103, "app", "RU-MOW"),
            (104, "app", "RU-MOW"),
            (110, "app", "RU-SPE"),
            (120, "website", "RU-MOW"),
            (200, "app", "RU-MOW"),
            (301, "app", "RU-MOW"),  # no purchase: 4 peers in app/RU-MOW
            (302, "app", "RU-SPE"),  # 1 peer in app/RU-SPE: too few, app has 5
            (303, "retail", None),  # nobody in retail: everyone
        ],
        late=304,  # registered after the as-of date: not offered yet
    )
    with LakeCompute(lake, timezone="Europe/Moscow") as engine:
        offers = first_game_offers(engine, players=players, as_of=AS_OF, top=2, days=90, min_buyers=3)
    got = [
        (r["player_id"], r["rank"], r["game_id"], r["scope"], r["buyers"], round(r["share"], 3))
        for r in offers.to_pylist()
    ]
    assert got == [
        (301, 1, 5, "channel_region", 4, 0.75),
        (301, 2, 6, "channel_region", 4, 0.25),
        (302, 1, 5, "channel", 5, 0.6),
        (302, 2, 6, "channel", 5, 0.2),
        (303, 1, 5, "all", 6, 0.5),
        (303, 2, 2, "all", 6, 0.167),
    ]


def test_no_first_time_buyer_in_the_window_means_no_first_game(lake: Lake) -> None:
    _sell(lake, {101: {5}}, AS_OF - dt.timedelta(days=200), "old")
    players = _players([(101, "app", "RU-MOW"), (301, "app", "RU-MOW")], late=304)
    with LakeCompute(lake, timezone="Europe/Moscow") as engine:
        offers = first_game_offers(engine, players=players, as_of=AS_OF, top=3, days=90, min_buyers=1)
    assert offers.num_rows == 0
