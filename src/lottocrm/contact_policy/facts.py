"""What the gate needs to know about one player, read in a few indexed queries: status, age, responsible
gaming, consents at the moment of the decision, the contact point of each channel, its reachability and
the cap ledger's recent rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lottocrm.contact_policy.document import LONGEST_WINDOW
from lottocrm.contact_policy.models import ContactTouch, UnreachablePoint
from lottocrm.contact_policy.rules import Touch
from lottocrm.players.consents import ConsentState, current_consents
from lottocrm.players.models import Player, PlayerIdentity, ResponsibleGaming

# The identity that carries each channel. Banners ("web") reach a signed-in player, not an address: the
# player id stands for the contact point, so caps still count them.
IDENTITY_OF_CHANNEL = {"sms": "phone", "call": "phone", "email": "email", "push": "device"}


def web_point(player_id: int) -> str:
    return f"player:{player_id}"


@dataclass(frozen=True)
class PlayerFacts:
    player: Player
    responsible_gaming: ResponsibleGaming | None
    consents: dict[tuple[str, str], ConsentState]
    # channel → the address a message on it goes to (None: the player has none).
    contact_points: dict[str, str | None]
    unreachable: dict[tuple[str, str], UnreachablePoint]
    touches: tuple[Touch, ...]
    # Other players' touches of this player's contact points (a shared phone).
    shared_touches: tuple[Touch, ...]


def primary_identities(session: Session, player_id: int) -> dict[str, str]:
    """kind → the identity a message uses: verified first, then the most recently added."""
    rows = session.execute(
        select(PlayerIdentity.kind, PlayerIdentity.value)
        .where(PlayerIdentity.player_id == player_id)
        .order_by(PlayerIdentity.verified.desc(), PlayerIdentity.created_at.desc(), PlayerIdentity.id.desc())
    )
    chosen: dict[str, str] = {}
    for kind, value in rows:
        chosen.setdefault(kind, value)
    return chosen


def load(session: Session, *, player_id: int, at: dt.datetime) -> PlayerFacts | None:
    player = session.get(Player, player_id)
    if player is None:
        return None
    identities = primary_identities(session, player_id)
    points: dict[str, str | None] = {
        channel: identities.get(kind) for channel, kind in IDENTITY_OF_CHANNEL.items()
    }
    points["web"] = web_point(player_id)
    addresses = sorted({point for point in points.values() if point})
    unreachable = {
        (row.channel, row.contact_point): row
        for row in session.scalars(
            select(UnreachablePoint).where(UnreachablePoint.contact_point.in_(addresses))
        )
    }
    since = at - LONGEST_WINDOW
    touches = session.execute(
        select(
            ContactTouch.player_id, ContactTouch.channel, ContactTouch.contact_point, ContactTouch.at
        ).where(
            or_(ContactTouch.player_id == player_id, ContactTouch.contact_point.in_(addresses)),
            ContactTouch.at >= since,
            ContactTouch.at <= at,
        )
    ).all()
    return PlayerFacts(
        player=player,
        responsible_gaming=session.get(ResponsibleGaming, player_id),
        consents=current_consents(session, player_id=player_id, as_of=at),
        contact_points=points,
        unreachable=unreachable,
        touches=tuple(Touch(t.channel, t.contact_point, t.at) for t in touches if t.player_id == player_id),
        shared_touches=tuple(
            Touch(t.channel, t.contact_point, t.at) for t in touches if t.player_id != player_id
        ),
    )
