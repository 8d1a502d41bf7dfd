"""Player × game features as of a date, and the label "played that game in the next ``horizon`` days".

One row per player who bought any ticket before the as-of date and per game sold before it. Days are local
calendar days, as in the analytical record; only tickets sold strictly before local midnight of the as-of
date count. Computed by the engine (Ibis over DuckDB); only the finished matrix reaches Python.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.time import SECONDS_PER_DAY, day_number, utc_offset_at_start_of

FEATURES = (
    "game_id",
    "game_recency_days",
    "game_days",
    "game_days_30",
    "game_days_90",
    "game_spend_kopecks",
    "game_share",
    "game_popularity_90",
    "recency_days",
    "purchase_days",
    "purchase_days_90",
    "spend_kopecks",
    "spend_90_kopecks",
    "games_played",
    "games_played_90",
)


def _local_days(compute: LakeCompute, as_of: dt.date, timestamp: ir.TimestampValue) -> ir.IntegerValue:
    offset = utc_offset_at_start_of(as_of, compute.timezone)
    return ((timestamp.epoch_seconds() + offset) // SECONDS_PER_DAY).cast("int64")


def sold_games(compute: LakeCompute, *, before: dt.date) -> list[int]:
    """Games an identified player bought before ``before``: the games a model can learn."""
    tickets = compute.table("tickets")
    sold = tickets.filter(tickets.player_id.notnull(), tickets.sold_at < compute.cutoff(before))
    return sorted(int(g) for g in compute.to_arrow(sold.select("game_id").distinct()).column(0).to_pylist())


def player_game_features(compute: LakeCompute, *, as_of: dt.date, games: list[int]) -> ir.Table:
    tickets = compute.table("tickets")
    today = day_number(as_of)
    sold = tickets.filter(tickets.player_id.notnull(), tickets.sold_at < compute.cutoff(as_of))
    sold = sold.mutate(day=_local_days(compute, as_of, sold.sold_at), game_id=sold.game_id.cast("int32"))
    recent_30, recent_90 = sold.day >= today - 30, sold.day >= today - 90

    per_game = sold.group_by("player_id", "game_id").aggregate(
        game_last_day=sold.day.max(),
        game_days=sold.day.nunique(),
        game_days_30=sold.day.nunique(where=recent_30),
        game_days_90=sold.day.nunique(where=recent_90),
        game_spend=sold.price_kopecks.sum(),
    )
    per_player = sold.group_by("player_id").aggregate(
        last_day=sold.day.max(),
        purchase_days=sold.day.nunique(),
        purchase_days_90=sold.day.nunique(where=recent_90),
        spend=sold.price_kopecks.sum(),
        spend_90=sold.price_kopecks.sum(where=recent_90),
        games_played=sold.game_id.nunique(),
        games_played_90=sold.game_id.nunique(where=recent_90),
    )
    # How many of the last 90 days' buyers played each game: a game's current pull, which drifts over time.
    last_90 = sold.filter(recent_90)
    by_game = last_90.group_by("game_id").aggregate(game_buyers=last_90.player_id.nunique())
    popularity = by_game.cross_join(last_90.aggregate(buyers=last_90.player_id.nunique()))
    popularity = popularity.select(
        "game_id",
        game_popularity_90=popularity.game_buyers.cast("float64") / popularity.buyers.cast("float64"),
    )
    catalogue = ibis.memtable({"game_id": games}, schema={"game_id": "int32"})
    grid = per_player.select("player_id").cross_join(catalogue)
    grid = grid.left_join(per_game, ["player_id", "game_id"]).drop("player_id_right", "game_id_right")
    grid = grid.left_join(popularity, "game_id").drop("game_id_right")
    grid = grid.join(per_player, "player_id")
    spend = grid.spend.cast("float64")
    return grid.select(
        "player_id",
        "game_id",
        game_recency_days=(today - grid.game_last_day).cast("float64"),
        game_days=grid.game_days.fill_null(0).cast("int32"),
        game_days_30=grid.game_days_30.fill_null(0).cast("int32"),
        game_days_90=grid.game_days_90.fill_null(0).cast("int32"),
        game_spend_kopecks=grid.game_spend.fill_null(0).cast("int64"),
        game_share=grid.game_spend.fill_null(0).cast("float64") / spend,
        game_popularity_90=grid.game_popularity_90.fill_null(0.0),
        recency_days=(today - grid.last_day).cast("int32"),
        purchase_days=grid.purchase_days.cast("int32"),
        purchase_days_90=grid.purchase_days_90.fill_null(0).cast("int32"),
        spend_kopecks=grid.spend.cast("int64"),
        spend_90_kopecks=grid.spend_90.fill_null(0).cast("int64"),
        games_played=grid.games_played.cast("int32"),
        games_played_90=grid.games_played_90.fill_null(0).cast("int32"),
    )


def played_next(compute: LakeCompute, *, as_of: dt.date, horizon_days: int) -> ir.Table:
    """(player_id, game_id) pairs with a ticket in ``[as_of, as_of + horizon_days)``."""
    tickets = compute.table("tickets")
    later = tickets.filter(
        tickets.player_id.notnull(),
        tickets.sold_at >= compute.cutoff(as_of),
        tickets.sold_at < compute.cutoff(as_of + dt.timedelta(days=horizon_days)),
    )
    return later.select("player_id", game_id=later.game_id.cast("int32")).distinct()


def labelled(compute: LakeCompute, *, as_of: dt.date, horizon_days: int, games: list[int]) -> ir.Table:
    features = player_game_features(compute, as_of=as_of, games=games)
    played = played_next(compute, as_of=as_of, horizon_days=horizon_days).mutate(
        label=ibis.literal(1, "int8")
    )
    joined = features.left_join(played, ["player_id", "game_id"]).drop("player_id_right", "game_id_right")
    return joined.mutate(label=joined.label.fill_null(0).cast("int8"))
