"""Points in: earns for partner purchases and lottery tickets, welcome bonuses, and reversing an earn.

An earn at a partner is funded by that partner (posting partner issued → member); a ticket earn or a bonus
is the programme's own expense (expense → member). Each earn opens a lot that expires a year later and is
announced (``loyalty.points_earned``) in the caller's transaction. Earns come from a partner's till, the lake
or the programme's own welcome rule, and the ledger operation is their record; a reversal is a person's
decision, so it is audited as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.events.outbox import emit, event_id_for
from lottocrm.loyalty.errors import AlreadyDone, InvalidAmount, NotFound
from lottocrm.loyalty.events import PointsEarned
from lottocrm.loyalty.ledger import lots, postings
from lottocrm.loyalty.ledger.accounts import (
    balance_of,
    partner_issued_account,
    player_id_of,
    programme_account,
)
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyOperation
from lottocrm.loyalty.programme import earn_rules, returns, tiers
from lottocrm.loyalty.programme.members import Member
from lottocrm.loyalty.programme.velocity import check_velocity


@dataclass(frozen=True)
class EarnResult:
    operation_id: int
    points: int
    balance: int


def _member_account(session: Session, account_id: int) -> Row:
    """The tier an earn is rated at and the player it is announced for."""
    return session.execute(
        select(LoyaltyAccount.tier, LoyaltyAccount.player_id).where(LoyaltyAccount.id == account_id)
    ).one()


def _announce(
    session: Session,
    *,
    player_id: int | None,
    account_id: int,
    operation_id: int,
    kind: str,
    points: int,
    partner_id: int | None = None,
) -> None:
    """Points credited; an earn that a daily cap cut to 0 credits none and is not announced."""
    if points <= 0:
        return
    emit(
        session,
        PointsEarned(
            player_id=player_id,
            account_id=account_id,
            operation_id=operation_id,
            kind=kind,
            points=points,
            partner_id=partner_id,
        ),
        event_id=event_id_for(PointsEarned.name, str(operation_id)),
    )


def credit_points(
    session: Session,
    *,
    account_id: int,
    funding_account_id: int,
    points: int,
    kind: str,
    now: dt.datetime,
    **operation_fields: object,
) -> int:
    """Record an operation and, for positive points, post them and open a lot. The account must be locked."""
    operation_id = postings.new_operation(
        session, kind=kind, now=now, points=points, account_id=account_id, **operation_fields
    )
    if points > 0:
        postings.post(
            session,
            operation_id=operation_id,
            debit=funding_account_id,
            credit=account_id,
            points=points,
            now=now,
        )
        lots.add_lot(
            session,
            account_id=account_id,
            operation_id=operation_id,
            points=points,
            expires_at=now + lots.LOT_LIFETIME,
            now=now,
        )
    return operation_id


def _source_taken(session: Session, source_key: str) -> bool:
    return (
        session.execute(select(LoyaltyOperation.id).where(LoyaltyOperation.source_key == source_key)).first()
        is not None
    )


def earn_at_partner(
    session: Session,
    *,
    member: Member,
    partner_id: int,
    spend_kopecks: int,
    now: dt.datetime,
    reference: str | None = None,
) -> EarnResult:
    if spend_kopecks <= 0:
        raise InvalidAmount(f"a purchase amount must be positive, got {spend_kopecks} kopecks")
    postings.lock_members(session, [member.account_id])
    check_velocity(session, member=member, now=now)
    purchase = earn_rules.Purchase(
        source="partner",
        spend_kopecks=spend_kopecks,
        at=now,
        partner_id=partner_id,
        channel="partner",
        tier=_member_account(session, member.account_id).tier,
    )
    points = earn_rules.points_for(session, purchase, account_id=member.account_id)
    operation_id = credit_points(
        session,
        account_id=member.account_id,
        funding_account_id=partner_issued_account(session, partner_id),
        points=points,
        kind="earn",
        now=now,
        partner_id=partner_id,
        card_id=member.card_id,
        spend_kopecks=spend_kopecks,
        reference=reference,
    )
    _announce(
        session,
        player_id=member.player_id,
        account_id=member.account_id,
        operation_id=operation_id,
        kind="earn",
        points=points,
        partner_id=partner_id,
    )
    tiers.upgrade_if_qualified(session, account_id=member.account_id, now=now)
    return EarnResult(
        operation_id=operation_id, points=points, balance=balance_of(session, member.account_id)
    )


@dataclass(frozen=True)
class Ticket:
    ticket_id: int
    game_id: int
    draw_id: int | None
    channel: str
    price_kopecks: int
    sold_at: dt.datetime


def earn_for_ticket(
    session: Session, *, account_id: int, ticket: Ticket, now: dt.datetime
) -> EarnResult | None:
    """Earn for one lottery ticket, once: a ticket already earned for returns None."""
    source_key = f"ticket:{ticket.ticket_id}"
    if _source_taken(session, source_key):
        return None
    postings.lock_members(session, [account_id])
    holder = _member_account(session, account_id)
    purchase = earn_rules.Purchase(
        source="ticket",
        spend_kopecks=ticket.price_kopecks,
        at=ticket.sold_at,
        game_id=ticket.game_id,
        draw_id=ticket.draw_id,
        channel=ticket.channel,
        tier=holder.tier,
    )
    points = earn_rules.points_for(session, purchase, account_id=account_id)
    operation_id = credit_points(
        session,
        account_id=account_id,
        funding_account_id=programme_account(session, "expense"),
        points=points,
        kind="earn",
        now=now,
        spend_kopecks=ticket.price_kopecks,
        source_key=source_key,
        reference=f"ticket {ticket.ticket_id}",
    )
    _announce(
        session,
        player_id=holder.player_id,
        account_id=account_id,
        operation_id=operation_id,
        kind="earn",
        points=points,
    )
    tiers.upgrade_if_qualified(session, account_id=account_id, now=now)
    return EarnResult(operation_id=operation_id, points=points, balance=balance_of(session, account_id))


def grant_welcome_bonus(session: Session, *, account_id: int, now: dt.datetime) -> EarnResult | None:
    """The welcome bonus of the rule in force, once per member account; None when there is none to give."""
    points = earn_rules.welcome_bonus_points(session, at=now)
    source_key = f"welcome:{account_id}"
    if points <= 0 or _source_taken(session, source_key):
        return None
    postings.lock_members(session, [account_id])
    operation_id = credit_points(
        session,
        account_id=account_id,
        funding_account_id=programme_account(session, "expense"),
        points=points,
        kind="welcome_bonus",
        now=now,
        source_key=source_key,
    )
    _announce(
        session,
        player_id=player_id_of(session, account_id),
        account_id=account_id,
        operation_id=operation_id,
        kind="welcome_bonus",
        points=points,
    )
    return EarnResult(operation_id=operation_id, points=points, balance=balance_of(session, account_id))


@dataclass(frozen=True)
class ReversalResult:
    operation_id: int
    points: int
    shortfall: int
    balance: int


def reverse_earn(
    session: Session, *, earn_operation_id: int, now: dt.datetime, reason: str, actor: Actor
) -> ReversalResult:
    """Take back what is left of an earn (a cancelled ticket), once.

    The earn's own lot is drained first, then the member's other live lots. Points already spent cannot be
    taken back without pushing the balance below zero, so the reversal takes what is there and reports the
    rest as ``shortfall`` (the programme's loss, visible on the operation's reason) rather than minting debt.
    Whatever partial returns (``.returns``) already took back is not taken twice.
    """
    earn = returns.earn_operation(session, earn_operation_id)
    if earn is None or earn.kind != "earn":
        raise NotFound(f"no earn operation {earn_operation_id}")
    source_key = f"reversal:{earn.id}"
    if _source_taken(session, source_key):
        raise AlreadyDone(f"earn {earn.id} is already reversed")
    postings.lock_members(session, [earn.account_id])
    previously = returns.returned_so_far(session, earn=earn)
    if earn.spend_kopecks and previously >= earn.spend_kopecks:
        raise AlreadyDone(f"earn {earn.id} was already returned in full")
    operation_id, taken, shortfall = returns.take_back(
        session,
        earn=earn,
        returned_kopecks=(earn.spend_kopecks or 0) - previously,
        previously_returned=previously,
        now=now,
        allow_shortfall=True,
        source_key=source_key,
        actor=actor.name,
        reason=reason,
    )
    record(
        session,
        actor=actor,
        action="loyalty.earn_reversed",
        player_id=player_id_of(session, earn.account_id),
        detail={
            "operation_id": operation_id,
            "earn_operation_id": earn.id,
            "points": taken,
            "shortfall": shortfall,
            "reason": reason,
        },
    )
    return ReversalResult(
        operation_id=operation_id,
        points=taken,
        shortfall=shortfall,
        balance=balance_of(session, earn.account_id),
    )


def reverse_ticket_earn(
    session: Session,
    *,
    ticket_id: int,
    now: dt.datetime,
    actor: Actor,
    reason: str = "ticket cancelled",
) -> ReversalResult:
    """A cancelled lottery ticket takes back the points it earned."""
    earn_id = session.execute(
        select(LoyaltyOperation.id).where(LoyaltyOperation.source_key == f"ticket:{ticket_id}")
    ).scalar_one_or_none()
    if earn_id is None:
        raise NotFound(f"ticket {ticket_id} earned no points")
    return reverse_earn(session, earn_operation_id=earn_id, now=now, reason=reason, actor=actor)
