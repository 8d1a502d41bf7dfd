"""Enrolling members, issuing and blocking cards, and finding the member behind a card, phone or scan.

Staff's changes (a card issued, blocked, its limit set) are audited here, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.loyalty.errors import BlockedCard, NotFound, PhoneNeedsCode, UnknownCard
from lottocrm.loyalty.ledger import lots
from lottocrm.loyalty.ledger.accounts import member_account, player_id_of
from lottocrm.loyalty.ledger.statements import Pending, Statements
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyCard
from lottocrm.loyalty.programme.cards import card_number_from_scan, is_valid_card_number, new_card_number
from lottocrm.players.models import Player, PlayerIdentity


@dataclass(frozen=True)
class Member:
    """The card a till presented and the account behind it."""

    card_id: int | None  # None: the member acts without a card (a catalogue order in the app)
    card_number: str
    account_id: int
    player_id: int
    max_ops_per_minute: int
    # The account's stored balance when the lookup also locked the account (``lock=True``), else None.
    balance: int | None = None


def issue_card(
    session: Session, *, player_id: int, now: dt.datetime, actor: Actor, rng: random.Random | None = None
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
    record(
        session,
        actor=actor,
        action="loyalty.card_issued",
        player_id=player_id,
        detail={"card_number": number, "account_id": account_id},
    )
    return number


def member_of_account(session: Session, *, account_id: int) -> Member:
    return Member(
        card_id=None,
        card_number="",
        account_id=account_id,
        player_id=player_id_of(session, account_id),
        max_ops_per_minute=0,
    )


def set_card_status(
    session: Session, *, card_number: str, blocked: bool, actor: Actor, reason: str | None = None
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
    record(
        session,
        actor=actor,
        action="loyalty.card_blocked" if blocked else "loyalty.card_unblocked",
        player_id=player_id_of(session, account_id),
        detail={"card_number": card_number, "reason": reason},
    )


def set_velocity_limit(session: Session, *, card_number: str, max_ops_per_minute: int, actor: Actor) -> None:
    account_id = session.execute(
        update(LoyaltyCard)
        .where(LoyaltyCard.number == card_number)
        .values(max_ops_per_minute=max_ops_per_minute)
        .returning(LoyaltyCard.account_id)
    ).scalar_one_or_none()
    if account_id is None:
        raise UnknownCard(f"no card {card_number}")
    record(
        session,
        actor=actor,
        action="loyalty.card_velocity_set",
        player_id=player_id_of(session, account_id),
        detail={"card_number": card_number, "max_ops_per_minute": max_ops_per_minute},
    )


@dataclass(frozen=True)
class Standing:
    """What a member holds now: the stored balance, what of it can be spent (lots not expired), the tier."""

    balance: int
    spendable: int
    tier: str | None


def standing(session: Session, *, account_id: int, now: dt.datetime) -> Standing:
    account = session.execute(
        select(LoyaltyAccount.balance, LoyaltyAccount.tier).where(LoyaltyAccount.id == account_id)
    ).one()
    spendable = lots.spendable(session, account_id=account_id, now=now)
    return Standing(balance=account.balance, spendable=spendable, tier=account.tier)


def normalise_phone(phone: str) -> str:
    """E.164 as the players table stores it; Russian 8-prefixed numbers are accepted as tills type them."""
    digits = "".join(char for char in phone if char.isdigit())
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return "+" + digits


def _member_query(card_condition: object, *, lock: bool = False) -> Select:
    columns = [
        LoyaltyCard.id,
        LoyaltyCard.number,
        LoyaltyCard.status,
        LoyaltyCard.max_ops_per_minute,
        LoyaltyAccount.id.label("account_id"),
        LoyaltyAccount.player_id,
    ]
    query = (
        select(*columns, *([LoyaltyAccount.balance] if lock else []))
        .join(LoyaltyAccount, LoyaltyAccount.id == LoyaltyCard.account_id)
        .where(card_condition)
        .order_by(LoyaltyCard.status, LoyaltyCard.id)  # "active" sorts before "blocked"
        .limit(1)
    )
    # The lookup that also locks the member's account: one round trip instead of two on a till call. Only
    # the account row is locked (the lock every operation of this member takes), not the card.
    return query.with_for_update(of=LoyaltyAccount) if lock else query


_PLAYERS_BY_PHONE = select(PlayerIdentity.player_id).where(
    PlayerIdentity.kind == "phone", PlayerIdentity.value == bindparam("phone")
)
# Built once: a till identifies a member on most calls.
_MEMBER_BY = {
    (by, lock): _member_query(condition, lock=lock)
    for by, condition in (
        ("card_number", LoyaltyCard.number == bindparam("card_number")),
        ("phone", LoyaltyAccount.player_id.in_(_PLAYERS_BY_PHONE.scalar_subquery())),
    )
    for lock in (False, True)
}


class PendingMember:
    """A queued member lookup; :meth:`get` reads it and refuses unknown or blocked cards."""

    def __init__(self, pending: Pending | None, refusal: str | None = None) -> None:
        self._pending = pending
        self._refusal = refusal

    def get(self) -> Member:
        if self._refusal is not None:
            raise UnknownCard(self._refusal)
        assert self._pending is not None
        row = self._pending.first()
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
            balance=getattr(row, "balance", None),
        )


def lookup_member(
    target: Session | Statements,
    *,
    card_number: str | None = None,
    phone: str | None = None,
    barcode: str | None = None,
    lock: bool = False,
) -> PendingMember:
    """Queue the lookup by exactly one of card number, phone or barcode; ``lock`` locks the account."""
    terms = lookup_terms(card_number=card_number, phone=phone, barcode=barcode)
    return queue_lookup(target, terms, lock=lock)


def queue_lookup(target: Session | Statements, terms: LookupTerms, *, lock: bool = False) -> PendingMember:
    """Queue the lookup of :func:`lookup_terms` or :func:`redemption_terms`; ``lock`` locks the account."""
    if terms.refusal is not None:
        return PendingMember(None, terms.refusal)
    if terms.card_number is not None:
        parameters = {"card_number": terms.card_number}
        query = _MEMBER_BY["card_number", lock]
    else:
        parameters = {"phone": terms.phone}
        query = _MEMBER_BY["phone", lock]
    return PendingMember(Statements.of(target).add(query, parameters))


@dataclass(frozen=True)
class LookupTerms:
    """What to look a member up by: a card number or a normalised phone, or why neither can be used."""

    card_number: str | None
    phone: str | None
    refusal: str | None


def lookup_terms(*, card_number: str | None, phone: str | None, barcode: str | None) -> LookupTerms:
    """A scanned barcode becomes its card number, a card number is checked, a phone is normalised."""
    if barcode is not None:
        card_number = card_number_from_scan(barcode)
    if card_number is not None:
        if not is_valid_card_number(card_number):
            refusal = f"{card_number!r} is not a valid card number (length, issuer or check digit)"
            return LookupTerms(None, None, refusal)
        return LookupTerms(card_number, None, None)
    if phone is not None:
        return LookupTerms(None, normalise_phone(phone), None)
    return LookupTerms(None, None, "give a card number, a phone or a barcode")


def redemption_terms(*, card_number: str | None, phone: str | None, barcode: str | None) -> LookupTerms:
    """:func:`lookup_terms` for spending a member's points: by card or its scan, never by a phone alone.

    Decided from the request, before the partner's key or anything else is read, so it is never stored
    under an idempotency key: a till that gets ``phone_needs_code`` asks for the card.
    """
    if phone is not None:
        raise PhoneNeedsCode(
            "points are spent with the member's card or its barcode; spending them by phone needs a"
            " one-time code sent to the member, which the programme cannot send yet"
        )
    return lookup_terms(card_number=card_number, phone=None, barcode=barcode)


def find_member(
    session: Session, *, card_number: str | None = None, phone: str | None = None, barcode: str | None = None
) -> Member:
    """Exactly one of card number, phone or scanned barcode; raises UnknownCard or BlockedCard."""
    return lookup_member(session, card_number=card_number, phone=phone, barcode=barcode).get()
