"""What the gate knows about one player: their contactability row (``standing.py``), read in one query.

The row is settled first (``tracking.settle``), so a decision in the middle of a transaction sees that
transaction's own changes. A player without a row (written by a loader that did not refresh) gets one now.
The cap ledger is read only to explain a cap that stops a message ("3 in 7 days").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, or_, select
from sqlalchemy.orm import Session

from lottocrm.contact_policy import standing, tracking
from lottocrm.contact_policy.document import LONGEST_WINDOW
from lottocrm.contact_policy.models import ContactTouch, contactability
from lottocrm.contact_policy.rules import CapHit, Touch, cap_hit
from lottocrm.contact_policy.standing import IDENTITY_OF_CHANNEL, web_point  # noqa: F401 (re-exported)
from lottocrm.players.models import Player


@dataclass(frozen=True)
class PlayerFacts:
    row: RowMapping

    @property
    def player_id(self) -> int:
        return int(self.row["player_id"])

    def __getitem__(self, column: str) -> Any:
        return self.row[column]

    def point(self, channel: str) -> str | None:
        """The address a message on ``channel`` goes to (None: the player has none)."""
        kind = IDENTITY_OF_CHANNEL.get(channel)
        return self.row[kind] if kind else web_point(self.player_id)

    def cited_consent(self, channel: str, message_class: str) -> int | None:
        """The consent-ledger row a permit relies on: advertising for marketing, else the service one."""
        return self.row[
            f"{channel}_consent_event" if message_class == "marketing" else f"{channel}_service_event"
        ]


def _read(session: Session, player_id: int) -> RowMapping | None:
    return (
        session.execute(select(contactability).where(contactability.c.player_id == player_id))
        .mappings()
        .first()
    )


def load(session: Session, *, player_id: int) -> PlayerFacts | None:
    tracking.settle(session)
    row = _read(session, player_id)
    if row is None:
        if session.get(Player, player_id) is None:
            return None
        from lottocrm.contact_policy.service import current_policy

        standing.refresh(session.connection(), [player_id], policy=current_policy(session)[1])
        row = _read(session, player_id)
    return PlayerFacts(row) if row is not None else None


def cap_detail(
    session: Session, facts: PlayerFacts, *, channel: str, rules: Any, at: dt.datetime
) -> CapHit | None:
    """Which cap stops the message and at what count, from the cap ledger (for the reason's words)."""
    point = facts.point(channel)
    if point is None:
        return None
    touches = session.execute(
        select(
            ContactTouch.player_id, ContactTouch.channel, ContactTouch.contact_point, ContactTouch.at
        ).where(
            or_(ContactTouch.player_id == facts.player_id, ContactTouch.contact_point == point),
            ContactTouch.at >= at - LONGEST_WINDOW,
        )
    ).all()
    return cap_hit(
        [Touch(t.channel, t.contact_point, t.at) for t in touches if t.player_id == facts.player_id],
        rules=rules,
        channel=channel,
        contact_point=point,
        at=at,
        shared_point_touches=[
            Touch(t.channel, t.contact_point, t.at) for t in touches if t.player_id != facts.player_id
        ],
    )
