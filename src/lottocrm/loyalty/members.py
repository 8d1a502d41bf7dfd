"""Enrolling members, issuing and blocking cards, and finding the member behind a card, phone or scan."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.audit.service import record
from lottocrm.loyalty.accounts import member_account
from lottocrm.loyalty.cards import card_number_from_scan, is_valid_card_number, new_card_number
from lottocrm.loyalty.errors import BlockedCard, NotFound, UnknownCard
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyCard
from lottocrm.players.models import Player, PlayerIdentity


@dataclass(frozen=True)
class Member:
    """The card a till presented and the account behind it."""

    card_id: int | None  # None: the member acts without a card (a catalogue order in the app)
    card_number: str
    account_id: int
    player_id: int
    max_ops_per_minute: int


def issue_card(
    session: Session, *, player_id: int, now: dt.datetime, rng: random.Random | None = None
) -> str:
    """Give a player a card (creating the member account on the first one) and register it as an identity."""
    if session.get(Player, player_id) is None:
        raise NotFound(f"no player {player_id}")
    account_id = member_account(session, player_id)
    while True:
        number = new_card_number(rng)
        taken = session.execute(select(LoyaltyCard.id).where(LoyaltyCard.number == number)).first()
        if taken is None:
            break
    session.execute(
        insert(LoyaltyCard).values(
            number=number, account_id=account_id, status="active", max_ops_per_minute=30, created_at=now
        )
    )
    session.execute(
        insert(PlayerIdentity).values(
            player_id=player_id, kind="card", value=number, verified=True, created_at=now
        )
    )
    return number


def member_of_account(session: Session, *, account_id: int) -> Member:
    player_id = session.execute(
        select(LoyaltyAccount.player_id).where(LoyaltyAccount.id == account_id)
    ).scalar_one()
    return Member(
        card_id=None, card_number="", account_id=account_id, player_id=player_id, max_ops_per_minute=0
    )


def set_card_status(
    session: Session, *, card_number: str, blocked: bool, actor: str, reason: str | None = None
) -> None:
    """Block or unblock a card; who did it and why goes to the audit log with the change."""
    account_id = session.execute(
        update(LoyaltyCard)
        .where(LoyaltyCard.number == card_number)
        .values(status="blocked" if blocked else "active", blocked_reason=reason if blocked else None)
        .returning(LoyaltyCard.account_id)
    ).scalar_one_or_none()
    if account_id is None:
        raise UnknownCard(f"no card {card_number}")
    player_id = session.execute(
        select(LoyaltyAccount.player_id).where(LoyaltyAccount.id == account_id)
    ).scalar_one()
    record(
        session,
        actor=actor,
        action="loyalty.card_blocked" if blocked else "loyalty.card_unblocked",
        player_id=player_id,
        detail={"card_number": card_number, "reason": reason},
    )


def set_velocity_limit(session: Session, *, card_number: str, max_ops_per_minute: int) -> None:
    result = session.execute(
        update(LoyaltyCard)
        .where(LoyaltyCard.number == card_number)
        .values(max_ops_per_minute=max_ops_per_minute)
    )
    if result.rowcount == 0:
        raise UnknownCard(f"no card {card_number}")


def normalise_phone(phone: str) -> str:
    """E.164 as the players table stores it; Russian 8-prefixed numbers are accepted as tills type them."""
    digits = "".join(char for char in phone if char.isdigit())
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return "+" + digits


def _member_query(card_condition: object) -> Select:
    return (
        select(
            LoyaltyCard.id,
            LoyaltyCard.number,
            LoyaltyCard.status,
            LoyaltyCard.max_ops_per_minute,
            LoyaltyAccount.id.label("account_id"),
            LoyaltyAccount.player_id,
        )
        .join(LoyaltyAccount, LoyaltyAccount.id == LoyaltyCard.account_id)
        .where(card_condition)
        .order_by(LoyaltyCard.status, LoyaltyCard.id)  # "active" sorts before "blocked"
        .limit(1)
    )


# Built once: a till identifies a member on most calls.
_MEMBER_BY_CARD = _member_query(LoyaltyCard.number == bindparam("card_number"))
_MEMBER_BY_PLAYER = _member_query(LoyaltyAccount.player_id == bindparam("player_id"))
_PLAYER_BY_PHONE = select(PlayerIdentity.player_id).where(
    PlayerIdentity.kind == "phone", PlayerIdentity.value == bindparam("phone")
)


def _member_row(session: Session, query: Select, parameters: dict[str, object]) -> Member:
    row = session.connection().execute(query, parameters).first()
    if row is None:
        raise UnknownCard("no loyalty card matches")
    if row.status == "blocked":
        raise BlockedCard(f"card {row.number} is blocked")
    return Member(
        card_id=row.id,
        card_number=row.number,
        account_id=row.account_id,
        player_id=row.player_id,
        max_ops_per_minute=row.max_ops_per_minute,
    )


def find_member(
    session: Session, *, card_number: str | None = None, phone: str | None = None, barcode: str | None = None
) -> Member:
    """Exactly one of card number, phone or scanned barcode; raises UnknownCard or BlockedCard."""
    if barcode is not None:
        card_number = card_number_from_scan(barcode)
    if card_number is not None:
        if not is_valid_card_number(card_number):
            raise UnknownCard(f"{card_number!r} is not a valid card number (length, issuer or check digit)")
        return _member_row(session, _MEMBER_BY_CARD, {"card_number": card_number})
    if phone is not None:
        player_id = (
            session.connection()
            .execute(_PLAYER_BY_PHONE, {"phone": normalise_phone(phone)})
            .scalar_one_or_none()
        )
        if player_id is None:
            raise UnknownCard("no member with this phone number")
        return _member_row(session, _MEMBER_BY_PLAYER, {"player_id": player_id})
    raise UnknownCard("give a card number, a phone or a barcode")
