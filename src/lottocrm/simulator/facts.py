"""Turn a chunk's purchase occasions into the lake's fact tables: tickets, wins and web/app sessions.

Fact ids are ``chunk number × 10^10 + sequence``: unique across chunks without coordination, the same for
the same seed whatever order chunks are written in, and readable (the chunk shows in the id). A win takes
its ticket's id (a ticket wins at most one tier).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lottocrm.lake.schemas import UTC_TS
from lottocrm.simulator.draws import US_PER_DAY, US_PER_SECOND, DrawCalendar
from lottocrm.simulator.games import CHANNEL_INDEX, CHANNELS, GAMES, JACKPOT, prices_kopecks
from lottocrm.simulator.geography import REGION_CODES
from lottocrm.simulator.purchases import Occasions

ID_STRIDE = 10**10
ONLINE_CHANNELS = ("website", "app", "partner")
RETAIL_CLAIM_SHARE_SMALL, RETAIL_CLAIM_SHARE_LARGE = 0.80, 0.98
LARGE_WIN_KOPECKS = 10_000 * 100
CLAIM_DELAY_MEAN_DAYS = 10.0


@dataclass(frozen=True)
class Tickets:
    """The expanded ticket rows, as numpy columns the win and session steps reuse."""

    ticket_id: np.ndarray
    player_id: np.ndarray  # -1: anonymous
    game: np.ndarray  # index into GAMES
    channel: np.ndarray
    draw_id: np.ndarray  # -1: instant
    draw_at: np.ndarray
    sold_at: np.ndarray

    def table(self, pos_id: np.ndarray, region: np.ndarray) -> pa.Table:
        return pa.table(
            {
                "ticket_id": pa.array(self.ticket_id),
                "player_id": pa.array(self.player_id, mask=self.player_id < 0),
                "game_id": pa.array(np.array([g.id for g in GAMES], dtype=np.int32)[self.game]),
                "draw_id": pa.array(self.draw_id, mask=self.draw_id < 0),
                "channel": pa.array(list(CHANNELS)).take(pa.array(self.channel)),
                "pos_id": pa.array(pos_id),
                "region": pa.array(list(REGION_CODES)).take(pa.array(region)),
                "price_kopecks": pa.array(prices_kopecks()[self.game]),
                "sold_at": pa.array(self.sold_at).cast(UTC_TS),
            }
        )


def expand_tickets(occasions: Occasions, player_ids: np.ndarray, chunk: int) -> tuple[Tickets, pa.Table]:
    """One row per ticket, in time order, with ids ``chunk × 10^10 + 1, 2, …``."""
    order = np.argsort(occasions.sold_at, kind="stable")
    ordered = occasions.keep(order)
    counts = ordered.tickets
    player_id = np.where(ordered.player >= 0, player_ids[np.maximum(ordered.player, 0)], -1)

    def spread(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, counts)

    tickets = Tickets(
        ticket_id=chunk * ID_STRIDE + np.arange(1, int(counts.sum()) + 1, dtype=np.int64),
        player_id=spread(player_id),
        game=spread(ordered.game),
        channel=spread(ordered.channel),
        draw_id=spread(ordered.draw_id),
        draw_at=spread(ordered.draw_at),
        sold_at=spread(ordered.sold_at),
    )
    return tickets, tickets.table(spread(ordered.pos_id), spread(ordered.region))


def wins_table(tickets: Tickets, calendar: DrawCalendar, end_us: int, rng: np.random.Generator) -> pa.Table:
    """Prize tiers drawn from each game's table for tickets whose draw has happened (instant: at once).

    A jackpot tier pays the draw's jackpot, and only in draws whose results say the jackpot was hit.
    """
    settled = np.flatnonzero((tickets.draw_id < 0) | (tickets.draw_at < end_us))
    tier = np.zeros(settled.size, dtype=np.int16)
    amount = np.zeros(settled.size, dtype=np.int64)
    luck = rng.random(settled.size)
    game = tickets.game[settled]
    for column, spec in enumerate(GAMES):
        rows = np.flatnonzero(game == column)
        cumulative = np.cumsum([t.probability for t in spec.prizes])
        slot = np.searchsorted(cumulative, luck[rows], side="right")
        hit = slot < len(spec.prizes)
        rows, slot = rows[hit], slot[hit]
        tier[rows] = np.array([t.tier for t in spec.prizes], dtype=np.int16)[slot]
        amount[rows] = np.array([t.amount_kopecks for t in spec.prizes], dtype=np.int64)[slot]
    jackpot = amount == JACKPOT
    if jackpot.any():
        draws = tickets.draw_id[settled[jackpot]]
        amount[jackpot] = np.where(calendar.jackpot_won(draws), calendar.jackpot_of(draws), 0)
    won = amount > 0
    rows = settled[won]
    tier, amount = tier[won], amount[won]

    won_at = np.where(tickets.draw_id[rows] < 0, tickets.sold_at[rows], tickets.draw_at[rows])
    online = np.isin(tickets.channel[rows], [CHANNEL_INDEX[c] for c in ONLINE_CHANNELS])
    claim_share = np.where(amount >= LARGE_WIN_KOPECKS, RETAIL_CLAIM_SHARE_LARGE, RETAIL_CLAIM_SHARE_SMALL)
    delay = (rng.exponential(CLAIM_DELAY_MEAN_DAYS, rows.size) * US_PER_DAY).astype(np.int64)
    claimed_at = np.where(online, won_at, (won_at + delay) // US_PER_SECOND * US_PER_SECOND)
    claimed = (online | (rng.random(rows.size) < claim_share)) & (claimed_at < end_us)
    player_id = tickets.player_id[rows]
    draw_id = tickets.draw_id[rows]
    return pa.table(
        {
            "win_id": pa.array(tickets.ticket_id[rows]),
            "ticket_id": pa.array(tickets.ticket_id[rows]),
            "player_id": pa.array(player_id, mask=player_id < 0),
            "game_id": pa.array(np.array([g.id for g in GAMES], dtype=np.int32)[tickets.game[rows]]),
            "draw_id": pa.array(draw_id, mask=draw_id < 0),
            "prize_tier": pa.array(tier),
            "amount_kopecks": pa.array(amount),
            "won_at": pa.array(won_at).cast(UTC_TS),
            "claimed": pa.array(claimed),
            "claimed_at": pa.array(claimed_at, mask=~claimed).cast(UTC_TS),
        }
    )


def sessions_table(
    occasions: Occasions,
    player_ids: np.ndarray,
    registered_at: np.ndarray,
    devices: np.ndarray,
    browse_per_purchase: float,
    chunk: int,
    rng: np.random.Generator,
) -> pa.Table:
    """A session before every website or app purchase, plus browsing sessions that lead to none.

    Browsing sessions fall in the week before a purchase (players look at draws and jackpots before buying),
    never before registration.
    """
    online = np.flatnonzero(
        (occasions.player >= 0) & np.isin(occasions.channel, [CHANNEL_INDEX["website"], CHANNEL_INDEX["app"]])
    )
    player = occasions.player[online]
    purchase_start = occasions.sold_at[online] - rng.integers(60, 900, size=online.size) * US_PER_SECOND
    browses = rng.poisson(browse_per_purchase, size=online.size)
    browse_of = np.repeat(np.arange(online.size), browses)
    browse_start = (
        np.maximum(
            purchase_start[browse_of] - (rng.random(browse_of.size) * 7 * US_PER_DAY).astype(np.int64),
            registered_at[player[browse_of]],
        )
        // US_PER_SECOND
        * US_PER_SECOND
    )
    started = np.concatenate([np.maximum(purchase_start, registered_at[player]), browse_start])
    who = np.concatenate([player, player[browse_of]])
    channel = np.concatenate([occasions.channel[online], occasions.channel[online][browse_of]])
    buying = np.concatenate([np.ones(online.size, bool), np.zeros(browse_of.size, bool)])
    duration = np.where(buying, 120 + rng.gamma(2.0, 200.0, who.size), 20 + rng.gamma(1.5, 120.0, who.size))
    page_views = np.where(buying, 3, 1) + rng.poisson(np.where(buying, 4.0, 2.0))

    order = np.argsort(started, kind="stable")
    is_app = channel[order] == CHANNEL_INDEX["app"]
    device = np.where(is_app, devices[who[order]], None)
    return pa.table(
        {
            "session_id": pa.array(chunk * ID_STRIDE + np.arange(1, order.size + 1, dtype=np.int64)),
            "player_id": pa.array(player_ids[who[order]]),
            "device_id": pa.array(device, pa.string()),
            "channel": pa.array(np.where(is_app, "app", "website")),
            "started_at": pa.array(started[order]).cast(UTC_TS),
            "duration_s": pa.array(duration[order].astype(np.int32)),
            "page_views": pa.array(page_views[order].astype(np.int32)),
        }
    )
