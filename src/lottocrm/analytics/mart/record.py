"""The player analytical record as of a date: one row per registered player, computed by the engine.

Only what happened strictly before the as-of date counts: tickets sold and wins won before local midnight
that starts it. Days are the operator's local calendar days (counted since 1970-01-01, as in the CLV
summary), so "recency 1" means "bought yesterday" wherever the engine runs. Money stays integer kopecks;
shares and ratios are the only floats.

Definitions the marketing team reads:

- ``frequency``: distinct purchase days (five tickets at one kiosk visit are one purchase);
- ``average_check_kopecks``: spend per purchase day, rounded down (the dashboard's average check, pooled
  over a period's buyers: docs/analytics-reports.md, "Measures");
- ``interval_mean_days`` / ``interval_std_days``: gaps between consecutive purchase days (null below two /
  three purchase days — a single gap has no spread);
- ``spend_trend_30d``: last 30 days' spend against the monthly average of the last 90 (1.0 = steady,
  above 1 = speeding up), null without spend in the last 90 days;
- ``spend_trend_90d``: daily spend rate in the last 90 days against the rate before them since the first
  purchase, null when the player has no history before those 90 days;
- favourite game and main channel are chosen by spend (ties: the lowest id / name), with their share of spend.

How it runs (the shape matters for speed, see bench/RESULTS.md): the buyers' tickets are read once, in one
window sorted by (player, local day) — consecutive tickets on different days give the purchase intervals, so
no (player, day) group-by is needed — and folded into one row per player by a single group-by. Spend per game
and per channel are conditional sums in that same group-by (a pivot over the games and channels the caller
lists), and the favourite is the largest of them. Wins are a second, small scan. The window carries only
fixed-width columns (the channel as its index in the list, the draw as a flag, the day as int32): a string
in the sorted rows cost about a sixth of the query at 10^7 tickets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import ibis
import ibis.expr.types as ir

from lottocrm.analytics.time import (
    EPOCH,
    SECONDS_PER_DAY,
    day_number,
    start_of_day_utc,
    utc_offset_at_start_of,
)

COLUMNS = (
    "player_id",
    "region",
    "days_since_registration",
    "first_purchase_on",
    "second_purchase_on",
    "last_purchase_on",
    "recency_days",
    "tenure_days",
    "frequency",
    "tickets",
    "monetary_kopecks",
    "average_check_kopecks",
    "interval_mean_days",
    "interval_std_days",
    "spend_30d_kopecks",
    "spend_90d_kopecks",
    "spend_trend_30d",
    "spend_trend_90d",
    "favourite_game_id",
    "favourite_game_share",
    "draw_share",
    "main_channel",
    "main_channel_share",
    "wins_count",
    "wins_kopecks",
    "last_win_on",
    "biggest_win_kopecks",
)


EpochSeconds = Callable[[ir.TimestampValue], ir.NumericValue]


def portable_epoch_seconds(timestamp: ir.TimestampValue) -> ir.NumericValue:
    return timestamp.epoch_seconds()


def _as_date(day: ir.IntegerValue) -> ir.DateValue:
    return ibis.date(EPOCH.isoformat()) + day.as_interval("D")


def _leader(
    spends: list[tuple[object, ir.IntegerValue]], total: ir.IntegerValue
) -> tuple[ir.Value, ir.Value]:
    """The key with the largest spend (first listed wins ties) and its share of ``total``.

    Keys the player never bought have a null sum; -1 keeps them below any real spend (even a free ticket's 0).
    """
    if not spends:
        return ibis.null(), ibis.null("float64")
    sums = [spend.fill_null(-1) for _, spend in spends]
    best = ibis.greatest(*sums) if len(sums) > 1 else sums[0]
    leader = ibis.cases(*((value == best, key) for (key, _), value in zip(spends, sums, strict=True)))
    return leader, best.cast("float64") / total.cast("float64")


def _place_of(value: ir.StringValue, choices: Sequence[str]) -> ir.IntegerValue:
    """The index of ``value`` in ``choices`` (null if absent): an int16 sorts narrower than the string."""
    if not choices:
        return ibis.null("int16")
    return ibis.cases(*((value == choice, place) for place, choice in enumerate(choices))).cast("int16")


def player_record(
    *,
    tickets: ir.Table,
    wins: ir.Table,
    players: ir.Table,
    as_of: dt.date,
    timezone: str,
    games: Sequence[int],
    channels: Sequence[str],
    epoch_seconds: EpochSeconds = portable_epoch_seconds,
) -> ir.Table:
    """The record (``COLUMNS``) of every player registered before ``as_of``, buyers or not.

    ``games`` and ``channels`` are the values the favourite game and main channel are chosen among (at least
    those sold before ``as_of``). ``epoch_seconds`` turns a UTC timestamp into seconds since 1970; engines
    may pass a cheaper native form with the same result.
    """
    cutoff = start_of_day_utc(as_of, timezone)
    offset = utc_offset_at_start_of(as_of, timezone)
    as_of_day = day_number(as_of)
    cutoff_literal = ibis.literal(cutoff, type="timestamp('UTC')")

    def local_day(timestamp: ir.TimestampValue) -> ir.IntegerValue:
        return ((epoch_seconds(timestamp) + offset) // SECONDS_PER_DAY).cast("int64")

    sold = tickets.filter(tickets.player_id.notnull() & (tickets.sold_at < cutoff_literal))
    # Only narrow, fixed-width columns go through the window's sort: the channel as its place in
    # ``channels`` (a small integer instead of a string), the draw as a flag, the day as int32.
    sold = sold.select(
        "player_id",
        "game_id",
        "price_kopecks",
        channel_place=_place_of(sold.channel, channels),
        drawn=sold.draw_id.notnull(),
        day=local_day(sold.sold_at).cast("int32"),
    )
    # Days since the player's previous ticket: 0 within a purchase day, the interval at each new purchase day,
    # null on the first ticket.
    sold = sold.mutate(
        gap=sold.day - sold.day.lag().over(group_by=sold.player_id, order_by=sold.day),
    )
    new_day = sold.gap > 0
    price = sold.price_kopecks
    game_sums = {f"game_{place}": price.sum(where=sold.game_id == game) for place, game in enumerate(games)}
    channel_sums = {
        f"channel_{place}": price.sum(where=sold.channel_place == place) for place in range(len(channels))
    }
    # No aggregate for the mean interval: the gaps between consecutive purchase days add up to
    # last - first, so the mean is (last - first) / (frequency - 1), the same double an AVG gives.
    per_player = sold.group_by("player_id").aggregate(
        tickets=sold.count(),
        spend=price.sum(),
        draw_spend=price.sum(where=sold.drawn),
        first_day=sold.day.min(),
        second_day=sold.day.min(where=new_day),
        last_day=sold.day.max(),
        frequency=sold.count(where=sold.gap.isnull() | new_day),
        interval_std_days=sold.gap.std(where=new_day, how="sample"),
        spend_30d=price.sum(where=sold.day >= as_of_day - 30),
        spend_90d=price.sum(where=sold.day >= as_of_day - 90),
        **game_sums,
        **channel_sums,
    )
    game_id, game_share = _leader(
        [
            (ibis.literal(game, type="int32"), per_player[name])
            for name, game in zip(game_sums, games, strict=True)
        ],
        per_player.spend,
    )
    channel, channel_share = _leader(
        [
            (ibis.literal(value, type="string"), per_player[name])
            for name, value in zip(channel_sums, channels, strict=True)
        ],
        per_player.spend,
    )
    # An explicit select, not drop(): Ibis renders a drop as EXCEPT (…) in set order, which varies per run.
    pivot = {*game_sums, *channel_sums}
    per_player = per_player.select(
        *(name for name in per_player.columns if name not in pivot),
        game_id=game_id.cast("int32"),
        favourite_game_share=game_share,
        channel=channel.cast("string"),
        main_channel_share=channel_share,
    )

    won = wins.filter(wins.player_id.notnull() & (wins.won_at < cutoff_literal))
    per_win = won.group_by("player_id").aggregate(
        wins_count=won.count(),
        wins_kopecks=won.amount_kopecks.sum(),
        last_win_day=local_day(won.won_at).max(),
        biggest_win_kopecks=won.amount_kopecks.max(),
    )

    registered = players.filter(players.registered_at < cutoff_literal)
    joined = registered
    for part in (per_player, per_win):
        joined = joined.left_join(part, "player_id").drop("player_id_right")

    spend = joined.spend.fill_null(0)
    spend_90d = joined.spend_90d.fill_null(0)
    days_before_90 = (as_of_day - 90) - joined.first_day
    spend_before_90 = spend - spend_90d
    return joined.select(
        player_id=joined.player_id,
        region=joined.region,
        days_since_registration=(as_of_day - local_day(joined.registered_at)).cast("int32"),
        first_purchase_on=_as_date(joined.first_day),
        second_purchase_on=_as_date(joined.second_day),
        last_purchase_on=_as_date(joined.last_day),
        recency_days=(as_of_day - joined.last_day).cast("int32"),
        tenure_days=(as_of_day - joined.first_day).cast("int32"),
        frequency=joined.frequency.fill_null(0).cast("int32"),
        tickets=joined.tickets.fill_null(0).cast("int64"),
        monetary_kopecks=spend.cast("int64"),
        average_check_kopecks=(spend // joined.frequency).cast("int64"),
        interval_mean_days=ibis.ifelse(
            joined.frequency > 1,
            (joined.last_day - joined.first_day).cast("float64") / (joined.frequency - 1).cast("float64"),
            ibis.null("float64"),
        ),
        interval_std_days=joined.interval_std_days.cast("float64"),
        spend_30d_kopecks=joined.spend_30d.fill_null(0).cast("int64"),
        spend_90d_kopecks=spend_90d.cast("int64"),
        # Float operands throughout: Spark would take a literal such as 90.0 as a decimal and round.
        spend_trend_30d=ibis.ifelse(
            spend_90d > 0,
            joined.spend_30d.fill_null(0).cast("float64") * 3 / spend_90d.cast("float64"),
            ibis.null("float64"),
        ),
        spend_trend_90d=ibis.ifelse(
            (days_before_90 > 0) & (spend_before_90 > 0),
            (spend_90d.cast("float64") / 90)
            / (spend_before_90.cast("float64") / days_before_90.cast("float64")),
            ibis.null("float64"),
        ),
        favourite_game_id=joined.game_id.cast("int32"),
        favourite_game_share=joined.favourite_game_share,
        draw_share=joined.draw_spend.fill_null(0).cast("float64") / joined.spend.cast("float64"),
        main_channel=joined.channel,
        main_channel_share=joined.main_channel_share,
        wins_count=joined.wins_count.fill_null(0).cast("int32"),
        wins_kopecks=joined.wins_kopecks.fill_null(0).cast("int64"),
        last_win_on=_as_date(joined.last_win_day),
        biggest_win_kopecks=joined.biggest_win_kopecks.cast("int64"),
    )
