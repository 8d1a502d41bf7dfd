"""A first game to offer players who registered but never bought: what recent first-time buyers chose.

A player with no ticket has no propensity features, so the offer comes from peers: the first-time buyers of
the last ``days`` before the as-of date (players whose very first ticket falls in that window), grouped by
registration channel and region. A player is matched to the narrowest group that holds at least
``min_buyers`` first-time buyers — channel and region, else channel, else everyone — and offered that
group's most chosen first games; the score is the share of the group who chose the game first.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from lottocrm.analytics.lake_compute import LakeCompute

DEFAULT_DAYS = 90
DEFAULT_MIN_BUYERS = 30
# Narrowest first: each scope's key columns ("" stands for "any").
SCOPES = (("channel_region", True, True), ("channel", True, False), ("all", False, False))

FIRST_GAME_SCHEMA = pa.schema(
    [
        pa.field("player_id", pa.int64()),
        pa.field("rank", pa.int16()),
        pa.field("game_id", pa.int32()),
        pa.field("share", pa.float64()),
        pa.field("scope", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("region", pa.string()),
        pa.field("buyers", pa.int64()),
    ]
)


def _keyed(table: ir.Table, *, by_channel: bool, by_region: bool) -> ir.Table:
    return table.mutate(
        key_channel=table.channel if by_channel else ibis.literal(""),
        key_region=table.region.fill_null("") if by_region else ibis.literal(""),
    )


def _first_choices(compute: LakeCompute, players: ir.Table, *, as_of: dt.date, days: int) -> ir.Table:
    """(player_id, game_id, channel, region) of players whose first ticket was sold in the window.

    Tickets of one purchase share a timestamp; the lowest game id among them is the first game, so the
    choice does not depend on the order the lake returns rows in.
    """
    tickets = compute.table("tickets")
    sold = tickets.filter(tickets.player_id.notnull(), tickets.sold_at < compute.cutoff(as_of))
    first = sold.group_by("player_id").aggregate(first_at=sold.sold_at.min())
    window_start = compute.cutoff(as_of - dt.timedelta(days=days))
    first = first.filter(first.first_at >= window_start)
    recent = sold.filter(sold.sold_at >= window_start)
    opening = recent.join(
        first, [recent.player_id == first.player_id, recent.sold_at == first.first_at]
    ).select(recent.player_id, game_id=recent.game_id.cast("int32"))
    chosen = opening.group_by("player_id").aggregate(game_id=opening.game_id.min())
    return chosen.join(players, "player_id").select("player_id", "game_id", "channel", "region")


def first_game_offers(
    compute: LakeCompute,
    *,
    players: pa.Table,
    as_of: dt.date,
    top: int,
    days: int = DEFAULT_DAYS,
    min_buyers: int = DEFAULT_MIN_BUYERS,
) -> pa.Table:
    """Up to ``top`` first games for each player registered before ``as_of`` with no ticket before it."""
    registered = compute.register(compute.name("players"), players)
    registered = registered.filter(registered.registered_at < compute.cutoff(as_of))
    tickets = compute.table("tickets")
    buyers = tickets.filter(tickets.player_id.notnull(), tickets.sold_at < compute.cutoff(as_of))
    waiting = registered.anti_join(buyers.select("player_id").distinct(), "player_id")
    choices = compute.materialize(_first_choices(compute, registered, as_of=as_of, days=days), "first")

    candidates = []
    for precedence, (scope, by_channel, by_region) in enumerate(SCOPES):
        keyed = _keyed(choices, by_channel=by_channel, by_region=by_region)
        per_game = keyed.group_by("key_channel", "key_region", "game_id").aggregate(chose=keyed.count())
        sizes = keyed.group_by("key_channel", "key_region").aggregate(buyers=keyed.count())
        groups = per_game.join(sizes, ["key_channel", "key_region"]).filter(lambda t: t.buyers >= min_buyers)
        members = _keyed(waiting, by_channel=by_channel, by_region=by_region)
        matched = members.join(groups, ["key_channel", "key_region"]).select(
            members.player_id,
            members.channel,
            members.region,
            groups.game_id,
            groups.chose,
            groups.buyers,
            scope=ibis.literal(scope),
            precedence=ibis.literal(precedence),
        )
        candidates.append(matched)
    found = ibis.union(*candidates)
    narrowest = found.group_by("player_id").aggregate(best=found.precedence.min())
    found = found.join(
        narrowest, [found.player_id == narrowest.player_id, found.precedence == narrowest.best]
    )
    share = found.chose.cast("float64") / found.buyers.cast("float64")
    place = ibis.row_number().over(group_by=found.player_id, order_by=[ibis.desc(found.chose), found.game_id])
    ranked = found.mutate(share=share, rank=(place + 1).cast("int16"))
    ranked = ranked.filter(ranked.rank <= top).select(FIRST_GAME_SCHEMA.names)
    return compute.to_arrow(ranked.order_by("player_id", "rank")).cast(FIRST_GAME_SCHEMA)
