"""The SLA's facts on a case from its contacts: the first reply, the player's oldest unanswered contact and
the reply to it. Applied contact by contact as they are logged, and replayed from all of a case's contacts
when they change wholesale (a merge brings another case's contacts)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.contact_centre.cases.models import Case
from lottocrm.contact_centre.interactions.models import LIVE_CHANNELS, Interaction


def contact_kinds(*, direction: str, channel: str) -> tuple[bool, bool]:
    """(the player's contact, an operator's reply): an inbound contact is the player's; an outbound one is a
    reply, and so is an inbound call, chat or visit, answered there and then."""
    return direction == "inbound", direction == "outbound" or channel in LIVE_CHANNELS


def apply_contact(case: Case, *, at: dt.datetime, player: bool, reply: bool) -> None:
    if reply:
        case.first_response_at = min(case.first_response_at, at) if case.first_response_at else at
    if player and (case.awaiting_since is None or case.answered_at is not None):
        case.awaiting_since, case.answered_at = at, None
    if reply and case.awaiting_since is not None and case.answered_at is None:
        case.answered_at = at


def replay(session: Session, case: Case) -> None:
    """Rebuild the facts from every contact on the case, oldest first."""
    case.first_response_at = case.awaiting_since = case.answered_at = None
    contacts = session.execute(
        select(Interaction.started_at, Interaction.direction, Interaction.channel)
        .where(Interaction.case_id == case.id)
        .order_by(Interaction.started_at, Interaction.id)
    )
    for at, direction, channel in contacts:
        player, reply = contact_kinds(direction=direction, channel=channel)
        apply_contact(case, at=at, player=player, reply=reply)
