"""The review queue as a data steward works it: a page of pairs with both registrations side by side and
the evidence per field, and a decision on each — one person, two people, or not sure.

A decision is a label: the next resolution run (full or incremental) links an accepted pair whatever its
probability and never links a rejected one; "not sure" leaves the pair out of both. Decisions can be
changed (a steward corrects a slip); each one is audited on both players, with its reason. Showing a page
is a look at personal data, audited too, with the players shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit import service as audit
from lottocrm.audit.service import Actor
from lottocrm.errors import ServiceError, Term
from lottocrm.identity.errors import ReviewItemNotFound
from lottocrm.identity.models import REVIEW_STATUSES, ReviewItem
from lottocrm.players.models import Player, PlayerIdentity
from lottocrm.players.schemas import mask_identity, mask_name
from lottocrm.players.service import checked_reason

PAGE_SIZE = 20
DECISIONS = ("accepted", "rejected", "not_sure")
# The fields in the order the page lists them (each is also the model's evidence key), and their labels.
FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "region", "phone", "email")
FIELD_LABELS = {
    "last_name": "Surname",
    "first_name": "First name",
    "middle_name": "Patronymic",
    "birth_date": "Date of birth",
    "region": "Region",
    "phone": "Phone",
    "email": "E-mail address",
}
DECISION_LABELS = {"accepted": "One person", "rejected": "Two people", "not_sure": "Not sure"}


class ReviewDecisionError(ServiceError):
    code = "identity_review_decision"


@dataclass(frozen=True)
class Side:
    player_id: int
    values: dict[str, Any]
    registered_at: dt.datetime


@dataclass(frozen=True)
class Row:
    field: str
    left: Any
    right: Any
    level: str | None
    bits: float | None


@dataclass(frozen=True)
class ReviewCard:
    item: ReviewItem
    left: Side
    right: Side
    rows: list[Row]


@dataclass(frozen=True)
class ReviewPage:
    status: str
    page: int
    total: int
    cards: list[ReviewCard]

    @property
    def more(self) -> bool:
        return self.page * PAGE_SIZE < self.total


def _contacts(session: Session, player_ids: list[int]) -> dict[tuple[int, str], str]:
    """Each player's phone and e-mail (a verified one first, then the oldest), as the matcher compared."""
    rows = session.execute(
        select(PlayerIdentity.player_id, PlayerIdentity.kind, PlayerIdentity.value)
        .where(PlayerIdentity.player_id.in_(player_ids), PlayerIdentity.kind.in_(("phone", "email")))
        .order_by(PlayerIdentity.verified.desc(), PlayerIdentity.created_at, PlayerIdentity.id)
    ).all()
    found: dict[tuple[int, str], str] = {}
    for player_id, kind, value in rows:
        found.setdefault((player_id, kind), value)
    return found


def _side(player: Player, contacts: dict[tuple[int, str], str], masked: bool) -> Side:
    phone, email = contacts.get((player.id, "phone")), contacts.get((player.id, "email"))
    if masked:
        name = mask_name(player.last_name, player.first_name, player.middle_name).split(" ")
        last, first, middle = (name + [None, None, None])[:3]
        phone = mask_identity("phone", phone) if phone else None
        email = mask_identity("email", email) if email else None
    else:
        last, first, middle = player.last_name, player.first_name, player.middle_name
    values = {
        "last_name": last,
        "first_name": first,
        "middle_name": middle,
        "birth_date": player.birth_date,
        "region": player.region,
        "phone": phone,
        "email": email,
    }
    return Side(player_id=player.id, values=values, registered_at=player.registered_at)


def review_page(
    session: Session, *, actor: Actor, status: str = "pending", page: int = 1, masked: bool = False
) -> ReviewPage:
    """One page of the queue in ``status``, oldest first (the order pairs were queued), audited as a look."""
    if status not in REVIEW_STATUSES:
        raise ReviewDecisionError("unknown review status %(status)r", status=status)
    page = max(1, page)
    total = (
        session.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.status == status)) or 0
    )
    items = session.scalars(
        select(ReviewItem)
        .where(ReviewItem.status == status)
        .order_by(ReviewItem.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    player_ids = sorted({p for item in items for p in (item.player_a, item.player_b)})
    players = {p.id: p for p in session.scalars(select(Player).where(Player.id.in_(player_ids)))}
    contacts = _contacts(session, player_ids)
    cards = []
    for item in items:
        left = _side(players[item.player_a], contacts, masked)
        right = _side(players[item.player_b], contacts, masked)
        rows = []
        for field in FIELDS:
            level, bits = (item.evidence or {}).get(field, (None, None))
            rows.append(Row(field, left.values[field], right.values[field], level, bits))
        cards.append(ReviewCard(item=item, left=left, right=right, rows=rows))
    if items:
        audit.record(
            session,
            actor=actor,
            action="identity.review.view",
            detail={"status": status, "page": page, "shown": len(player_ids), "masked": masked},
        )
    return ReviewPage(status=status, page=page, total=int(total), cards=cards)


def decide(session: Session, *, actor: Actor, item_id: int, decision: str, reason: str | None) -> ReviewItem:
    """Record a steward's decision on one pair; the next run honours it."""
    if decision not in DECISIONS:
        raise ReviewDecisionError(
            "a decision is one of %(decisions)s, not %(decision)r",
            decisions=tuple(Term(name) for name in DECISIONS),
            decision=decision,
        )
    cleaned = checked_reason(actor, reason)
    item = session.get(ReviewItem, item_id, with_for_update=True)
    if item is None:
        raise ReviewItemNotFound("no pair %(item)s in the review queue", item=item_id)
    before = item.status
    item.status = decision
    item.decided_at = clock.now()
    item.decided_by = actor.name
    item.note = cleaned
    for player, other in ((item.player_a, item.player_b), (item.player_b, item.player_a)):
        audit.record(
            session,
            actor=actor,
            action="identity.review.decide",
            player_id=player,
            detail={
                "item": item.id,
                "other_player": other,
                "from": before,
                "decision": decision,
                "reason": cleaned,
            },
        )
    session.flush()
    return item
