"""The player analytical record as of a date: one row per registered player, computed by the engine.

Only what happened strictly before the as-of date counts: tickets sold and wins won before local midnight
that starts it. Days are the operator's local calendar days (counted since 1970-01-01, as in the CLV
summary), so "recency 1" means "bought yesterday" wherever the engine runs. Money stays integer kopecks;
shares and ratios are the only floats.

Definitions the marketing team reads:

- ``frequency``: distinct purchase days (five tickets at one kiosk visit are one purchase);
- ``average_check_kopecks``: spend per purchase day, rounded down;
- ``interval_mean_days`` / ``interval_std_days``: gaps between consecutive purchase days (null below two /
  three purchase days — a single gap has no spread);
- ``spend_trend_30d``: last 30 days' spend against the monthly average of the last 90 (1.0 = steady,
  above 1 = speeding up), null without spend in the last 90 days;
- ``spend_trend_90d``: daily spend rate in the last 90 days against the rate before them since the first
  purchase, null when the player has no history before those 90 days;
- favourite game and main channel are chosen by spend (ties: the lowest id / name), with their share of spend.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from lottocrm.analytics.clv.summary import EPOCH, SECONDS_PER_DAY, day_number

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


def start_of_day_utc(day: dt.date, timezone: str) -> dt.datetime:
    """The UTC instant at which ``day`` begins in the operator's zone: the as-of cut-off."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


def _local_day(timestamp: ir.TimestampValue, offset_seconds: int) -> ir.IntegerValue:
    return ((timestamp.epoch_seconds() + offset_seconds) // SECONDS_PER_DAY).cast("int64")


def _as_date(day: ir.IntegerValue) -> ir.DateValue:
    return ibis.date(EPOCH.isoformat()) + day.as_interval("D")


def _leader(table: ir.Table, key: str, *, total: ir.Table) -> ir.Table:
    """Per player, the ``key`` value with the most spend and its share of the player's spend."""
    by_key = table.group_by("player_id", key).aggregate(key_spend=table.price_kopecks.sum())
    ranked = by_key.mutate(
        place=ibis.row_number().over(
            group_by=by_key.player_id, order_by=[ibis.desc(by_key.key_spend), by_key[key]]
        )
    )
    leader = ranked.filter(ranked.place == 0)
    joined = leader.join(total, leader.player_id == total.player_id)
    return joined.select(
        "player_id", key, share=joined.key_spend.cast("float64") / joined.spend.cast("float64")
    )


def player_record(
    *,
    tickets: ir.Table,
    wins: ir.Table,
    players: ir.Table,
    as_of: dt.date,
    timezone: str,
) -> ir.Table:
    """The record (``COLUMNS``) of every player registered before ``as_of``, buyers or not."""
    cutoff = start_of_day_utc(as_of, timezone)
    offset = int(cutoff.astimezone(ZoneInfo(timezone)).utcoffset().total_seconds())  # type: ignore[union-attr]
    as_of_day = day_number(as_of)
    cutoff_literal = ibis.literal(cutoff, type="timestamp('UTC')")

    sold = tickets.filter(tickets.player_id.notnull() & (tickets.sold_at < cutoff_literal))
    sold = sold.mutate(day=_local_day(sold.sold_at, offset))

    per_ticket = sold.group_by("player_id").aggregate(
        tickets=sold.count(),
        spend=sold.price_kopecks.sum(),
        draw_spend=sold.price_kopecks.sum(where=sold.draw_id.notnull()),
    )

    daily = sold.group_by("player_id", "day").aggregate(day_spend=sold.price_kopecks.sum())
    by_player = ibis.window(group_by=daily.player_id, order_by=daily.day)
    daily = daily.mutate(
        gap=daily.day - daily.day.lag().over(by_player), place=ibis.row_number().over(by_player)
    )
    per_day = daily.group_by("player_id").aggregate(
        first_day=daily.day.min(),
        second_day=daily.day.min(where=daily.place == 1),
        last_day=daily.day.max(),
        frequency=daily.count(),
        interval_mean_days=daily.gap.mean(),
        interval_std_days=daily.gap.std(how="sample"),
        spend_30d=daily.day_spend.sum(where=daily.day >= as_of_day - 30),
        spend_90d=daily.day_spend.sum(where=daily.day >= as_of_day - 90),
    )

    game = _leader(sold, "game_id", total=per_ticket).rename(favourite_game_share="share")
    channel = _leader(sold, "channel", total=per_ticket).rename(main_channel_share="share")

    won = wins.filter(wins.player_id.notnull() & (wins.won_at < cutoff_literal))
    per_win = won.group_by("player_id").aggregate(
        wins_count=won.count(),
        wins_kopecks=won.amount_kopecks.sum(),
        last_win_day=_local_day(won.won_at, offset).max(),
        biggest_win_kopecks=won.amount_kopecks.max(),
    )

    registered = players.filter(players.registered_at < cutoff_literal)
    joined = registered
    for part in (per_ticket, per_day, game, channel, per_win):
        joined = joined.left_join(part, "player_id").drop("player_id_right")

    spend = joined.spend.fill_null(0)
    spend_90d = joined.spend_90d.fill_null(0)
    days_before_90 = (as_of_day - 90) - joined.first_day
    spend_before_90 = spend - spend_90d
    return joined.select(
        player_id=joined.player_id,
        region=joined.region,
        days_since_registration=(as_of_day - _local_day(joined.registered_at, offset)).cast("int32"),
        first_purchase_on=_as_date(joined.first_day),
        second_purchase_on=_as_date(joined.second_day),
        last_purchase_on=_as_date(joined.last_day),
        recency_days=(as_of_day - joined.last_day).cast("int32"),
        tenure_days=(as_of_day - joined.first_day).cast("int32"),
        frequency=joined.frequency.fill_null(0).cast("int32"),
        tickets=joined.tickets.fill_null(0).cast("int64"),
        monetary_kopecks=spend.cast("int64"),
        average_check_kopecks=(spend // joined.frequency).cast("int64"),
        interval_mean_days=joined.interval_mean_days.cast("float64"),
        interval_std_days=joined.interval_std_days.cast("float64"),
        spend_30d_kopecks=joined.spend_30d.fill_null(0).cast("int64"),
        spend_90d_kopecks=spend_90d.cast("int64"),
        spend_trend_30d=ibis.ifelse(
            spend_90d > 0, joined.spend_30d.fill_null(0) * 3.0 / spend_90d, ibis.null("float64")
        ),
        spend_trend_90d=ibis.ifelse(
            (days_before_90 > 0) & (spend_before_90 > 0),
            (spend_90d / 90.0) / (spend_before_90 / days_before_90.cast("float64")),
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
