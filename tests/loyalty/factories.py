"""Builders for loyalty tests: players with phones, partners with till keys, cards with points."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger import lots
from lottocrm.loyalty.models import LoyaltyCard
from lottocrm.loyalty.programme import adjustments, members, partners
from lottocrm.players.models import Player, PlayerIdentity

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
# Who the tests' set-up acts as (services record it in the audit log, as they would for a person).
STAFF = Actor("test:staff")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def add_player(session: Session, *, player_id: int, phone: str | None = None) -> None:
    session.execute(
        insert(Player).values(
            id=player_id,
            last_name="Иванов",
            first_name="Иван",
            search_name="иванов иван",
            registered_at=NOW,
            registration_channel="website",
            age_verified=True,
            under_age=False,
            status="active",
            created_at=NOW,
        )
    )
    if phone is not None:
        session.execute(
            insert(PlayerIdentity).values(
                player_id=player_id, kind="phone", value=phone, verified=True, created_at=NOW
            )
        )


@dataclass
class TillPartner:
    id: int
    code: str
    key: str


@dataclass
class Card:
    number: str
    account_id: int
    player_id: int
    phone: str


def add_partner(engine: Engine, code: str, *, can_earn: bool = True, can_redeem: bool = True) -> TillPartner:
    with transaction(engine) as session:
        partner_id = partners.create_partner(
            session,
            actor=STAFF,
            code=code,
            name=code.title(),
            now=utcnow(),
            can_earn=can_earn,
            can_redeem=can_redeem,
        )
        key = partners.issue_key(session, actor=STAFF, partner_id=partner_id, now=utcnow(), label="test till")
    return TillPartner(id=partner_id, code=code, key=key)


def add_card(engine: Engine, player_id: int, *, points: int = 0, max_ops_per_minute: int = 10_000) -> Card:
    phone = f"+7916{player_id:07d}"
    with transaction(engine) as session:
        add_player(session, player_id=player_id, phone=phone)
        number = members.issue_card(session, actor=STAFF, player_id=player_id, now=utcnow())
        members.set_velocity_limit(
            session, actor=STAFF, card_number=number, max_ops_per_minute=max_ops_per_minute
        )
        account_id = session.execute(
            select(LoyaltyCard.account_id).where(LoyaltyCard.number == number)
        ).scalar_one()
        if points:
            adjustments.adjust(
                session,
                account_id=account_id,
                points=points,
                actor=STAFF,
                reason="opening balance",
                now=utcnow(),
            )
    return Card(number=number, account_id=account_id, player_id=player_id, phone=phone)


def top_up(engine: Engine, card: Card, points: int, *, reason: str, now: dt.datetime | None = None) -> None:
    """A manual adjustment of ``points`` (a new lot, earned at ``now``) in its own transaction."""
    with transaction(engine) as session:
        adjustments.adjust(
            session,
            account_id=card.account_id,
            points=points,
            actor=STAFF,
            reason=reason,
            now=now or utcnow(),
        )


def add_dying_lots(engine: Engine, cards: list[Card], *, points: int, seconds: int) -> None:
    """A lot of ``points`` on each card that expires ``seconds`` from now: the expiry job races the tills."""
    for card in cards:
        earned = utcnow() - lots.LOT_LIFETIME + dt.timedelta(seconds=seconds)
        top_up(engine, card, points, reason="dying lot", now=earned)


def member(session: Session, card: Card) -> members.Member:
    return members.find_member(session, card_number=card.number)
