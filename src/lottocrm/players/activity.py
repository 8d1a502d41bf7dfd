"""A player's recent tickets and wins, read from the fact lake with DuckDB, filtered by player id."""

from __future__ import annotations

import duckdb

from lottocrm.lake.store import Lake
from lottocrm.players.schemas import ActivityOut, TicketOut, WinOut

RECENT = 20


def player_activity(lake: Lake, *, player_id: int, game_names: dict[int, str]) -> ActivityOut:
    con = lake.connect(duckdb.connect(config={"threads": 2}))
    try:
        totals = con.execute(
            "SELECT count(*), coalesce(sum(price_kopecks), 0), max(sold_at) FROM tickets WHERE player_id = ?",
            [player_id],
        ).fetchone()
        win_totals = con.execute(
            "SELECT count(*), coalesce(sum(amount_kopecks), 0) FROM wins WHERE player_id = ?", [player_id]
        ).fetchone()
        tickets = con.execute(
            "SELECT ticket_id, game_id, channel, region, price_kopecks, sold_at FROM tickets "
            "WHERE player_id = ? ORDER BY sold_at DESC LIMIT ?",
            [player_id, RECENT],
        ).fetchall()
        wins = con.execute(
            "SELECT win_id, game_id, prize_tier, amount_kopecks, won_at, claimed FROM wins "
            "WHERE player_id = ? ORDER BY won_at DESC LIMIT ?",
            [player_id, RECENT],
        ).fetchall()
    finally:
        con.close()
    assert totals is not None and win_totals is not None
    return ActivityOut(
        tickets_total=totals[0], spend_total_kopecks=totals[1], last_ticket_at=totals[2],
        wins_total=win_totals[0], wins_amount_kopecks=win_totals[1],
        tickets=[TicketOut(ticket_id=t[0], game=game_names.get(t[1], f"#{t[1]}"), channel=t[2], region=t[3],
                           price_kopecks=t[4], sold_at=t[5]) for t in tickets],
        wins=[WinOut(win_id=w[0], game=game_names.get(w[1], f"#{w[1]}"), prize_tier=w[2], amount_kopecks=w[3],
                     won_at=w[4], claimed=w[5]) for w in wins],
    )
