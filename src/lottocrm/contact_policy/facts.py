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


def _contacts(
    session: Session, player_id: int
) -> tuple[dict[str, str], dict[tuple[str, str], UnreachablePoint]]:
    """kind → the identity a message uses (verified first, then the most recently added), and which of the
    player's addresses are unreachable on which channel: one query."""
    rows = session.execute(
        select(PlayerIdentity.kind, PlayerIdentity.value, UnreachablePoint)
        .outerjoin(UnreachablePoint, UnreachablePoint.contact_point == PlayerIdentity.value)
        .where(PlayerIdentity.player_id == player_id)
        .order_by(PlayerIdentity.verified.desc(), PlayerIdentity.created_at.desc(), PlayerIdentity.id.desc())
    )
    chosen: dict[str, str] = {}
    unreachable: dict[tuple[str, str], UnreachablePoint] = {}
    for kind, value, point in rows:
        chosen.setdefault(kind, value)
        if point is not None:
            unreachable[(point.channel, point.contact_point)] = point
    return chosen, unreachable


def load(session: Session, *, player_id: int, at: dt.datetime) -> PlayerFacts | None:
    """The facts in four queries: the player with their responsible-gaming row, their contacts with their
    reachability, the cap ledger, their consents."""
    found = session.execute(
        select(Player, ResponsibleGaming)
        .outerjoin(ResponsibleGaming, ResponsibleGaming.player_id == Player.id)
        .where(Player.id == player_id)
    ).first()
    if found is None:
        return None
    player, responsible_gaming = found
    identities, unreachable = _contacts(session, player_id)
    points: dict[str, str | None] = {
        channel: identities.get(kind) for channel, kind in IDENTITY_OF_CHANNEL.items()
    }
    points["web"] = web_point(player_id)
    addresses = sorted({point for point in points.values() if point})
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
        responsible_gaming=responsible_gaming,
        consents=current_consents(session, player_id=player_id, as_of=at),
        contact_points=points,
        unreachable=unreachable,
        touches=tuple(Touch(t.channel, t.contact_point, t.at) for t in touches if t.player_id == player_id),
        shared_touches=tuple(
            Touch(t.channel, t.contact_point, t.at) for t in touches if t.player_id != player_id
        ),
    )
