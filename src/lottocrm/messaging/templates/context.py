"""The template variables of many players at once: the dispatcher's batch, the editor's sample players.

Three statements whatever the number of players (up to :data:`CHUNK` a round): the latest as-of dates of
the analytical record and of the next-game run, resolved once and bound as constants (both primary keys
start with as_of, so each read is a range of one date); then the profile with its loyalty account, tier,
analytical record and favourite game; then the next game to offer (rank 1) with its next scheduled draw.

A value the store does not know is None, which a template shows as nothing: a player never scored, with no
loyalty account, whose next game has no draw scheduled, whose region is outside the table (its code is
not shown to a player either). Nothing here raises for a missing value. ``unsubscribe_url`` belongs to a
message, not to a player: the dispatcher adds it once the message has its id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, false, func, select
from sqlalchemy.orm import Session, aliased

from lottocrm import clock, vocab
from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.propensity.models import PlayerNextGame
from lottocrm.catalog.models import Draw, Game
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyTier
from lottocrm.players.models import Player

# Player ids bound per statement: far below SQLite's and PostgreSQL's limits on bound values.
CHUNK = 5_000

_FAVOURITE = aliased(Game, name="favourite_game")
_NEXT = aliased(Game, name="next_game")


def player_variables(
    session: Session, player_ids: Iterable[int], *, at: dt.datetime | None = None
) -> dict[int, dict[str, object]]:
    """Every player variable (all of :mod:`.variables` but ``unsubscribe_url``) by player id, as of ``at``
    (default now: the days since the last purchase and which draw is next). An id with no player is left
    out."""
    moment = at or clock.now()
    ids = list(dict.fromkeys(player_ids))
    if not ids:
        return {}
    record_as_of, next_as_of = session.execute(
        select(
            select(func.max(PlayerAnalytics.as_of)).scalar_subquery(),
            select(func.max(PlayerNextGame.as_of)).scalar_subquery(),
        )
    ).one()
    today = clock.operator_day(moment)
    found: dict[int, dict[str, object]] = {}
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        for row in session.execute(_profiles(chunk, record_as_of)):
            found[row.id] = _profile_values(row, today)
        for player_id, values in _next_games(session, chunk, next_as_of, moment).items():
            if player_id in found:
                found[player_id].update(values)
    return found


def _profiles(ids: list[int], record_as_of: dt.date | None) -> Any:
    # No record yet: a join that matches nothing, so its columns come back NULL in the same statement.
    on_record = and_(
        PlayerAnalytics.player_id == Player.id,
        PlayerAnalytics.as_of == record_as_of if record_as_of is not None else false(),
    )
    return (
        select(
            Player.id,
            Player.first_name,
            Player.middle_name,
            Player.last_name,
            Player.region,
            LoyaltyAccount.balance,
            LoyaltyTier.name.label("tier"),
            _FAVOURITE.name.label("favourite_game"),
            PlayerAnalytics.last_purchase_on,
        )
        .outerjoin(LoyaltyAccount, LoyaltyAccount.player_id == Player.id)
        .outerjoin(LoyaltyTier, LoyaltyTier.code == LoyaltyAccount.tier)
        .outerjoin(PlayerAnalytics, on_record)
        .outerjoin(_FAVOURITE, _FAVOURITE.id == PlayerAnalytics.favourite_game_id)
        .where(Player.id.in_(ids))
    )


def _profile_values(row: Any, today: dt.date) -> dict[str, object]:
    region = vocab.REGIONS.get(row.region) if row.region else None
    last = row.last_purchase_on
    return {
        "first_name": row.first_name,
        "middle_name": row.middle_name,
        "last_name": row.last_name,
        "region_name": region.ru if region else None,
        "loyalty_balance": row.balance,
        "loyalty_tier": row.tier,
        "favourite_game": row.favourite_game,
        "days_since_last_purchase": max((today - last).days, 0) if last is not None else None,
        "next_game": None,
        "next_game_draw_date": None,
    }


def _next_games(
    session: Session, ids: list[int], as_of: dt.date | None, moment: dt.datetime
) -> dict[int, dict[str, object]]:
    if as_of is None:
        return {}
    upcoming = (
        select(Draw.game_id, func.min(Draw.draw_at).label("draw_at"))
        .where(Draw.status == "scheduled", Draw.draw_at > moment)
        .group_by(Draw.game_id)
        .subquery("upcoming")
    )
    rows = session.execute(
        select(PlayerNextGame.player_id, _NEXT.name, upcoming.c.draw_at)
        .join(_NEXT, _NEXT.id == PlayerNextGame.game_id)
        .outerjoin(upcoming, upcoming.c.game_id == PlayerNextGame.game_id)
        .where(PlayerNextGame.as_of == as_of, PlayerNextGame.rank == 1, PlayerNextGame.player_id.in_(ids))
    )
    return {
        row.player_id: {
            "next_game": row.name,
            # The draw's day on the operator's calendar, as the |date filter would put a moment.
            "next_game_draw_date": clock.local(row.draw_at).date() if row.draw_at is not None else None,
        }
        for row in rows
    }
