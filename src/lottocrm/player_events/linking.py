"""Linking anonymous events to players who arrived later: the website's registration event often reaches
the CRM before the account does (the nightly import), and is kept with the account id it claimed. When a
batch of players is loaded, the events claiming their ids are given their player."""

from __future__ import annotations

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from lottocrm.events.delivery import EventContext
from lottocrm.player_events.models import PlayerEvent
from lottocrm.players.events import PlayersRegistered
from lottocrm.players.models import Player


def link_claimed(session: Session, *, first_player_id: int, last_player_id: int) -> int:
    """Give the events claiming a player id in the range their player, if the store now knows it; the
    number of events linked."""
    claimed = PlayerEvent.claimed_player_id
    known = select(Player.id).where(Player.id == claimed)
    linked = session.execute(
        update(PlayerEvent)
        .where(and_(claimed >= first_player_id, claimed <= last_player_id, known.exists()))
        .values(player_id=claimed, claimed_player_id=None)
        .execution_options(synchronize_session=False)
    )
    return linked.rowcount or 0


def link_registered(context: EventContext) -> None:
    """Subscriber of ``players.registered``."""
    payload = context.payload
    assert isinstance(payload, PlayersRegistered)
    with context.once() as session:
        link_claimed(session, first_player_id=payload.first_player_id, last_player_id=payload.last_player_id)
