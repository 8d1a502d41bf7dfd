"""The rewards catalogue: an order reserves one unit of stock and holds the points, in one transaction.

Lock order is the member account, then the reward row, as everywhere: account first. Fulfilling an order
captures the hold to the programme's rewards account; cancelling voids it and puts the unit back, and so
does the stale-holds job when an order is neither fulfilled nor cancelled before its hold expires.

Staff's actions (``actor`` given) are audited here. An order placed or cancelled by a partner's till or app
(``actor`` None) is recorded by the ledger itself — its hold, operations and the order row name the
partner — so the till's calls add no audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.loyalty.errors import HoldNotOpen, LoyaltyError, NotFound, OutOfStock
from lottocrm.loyalty.ledger import lots, postings
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold, LoyaltyTier, Reward, RewardOrder
from lottocrm.loyalty.programme import redemption, tiers
from lottocrm.loyalty.programme.members import Member
from lottocrm.loyalty.programme.velocity import check_velocity

ORDER_HOLD_LIFETIME = dt.timedelta(days=14)


def add_reward(
    session: Session,
    *,
    code: str,
    name: str,
    points_price: int,
    stock: int,
    actor: Actor,
    min_tier: str | None = None,
) -> int:
    reward_id = session.execute(
        insert(Reward)
        .values(code=code, name=name, points_price=points_price, stock=stock, min_tier=min_tier, active=True)
        .returning(Reward.id)
    ).scalar_one()
    record(
        session,
        actor=actor,
        action="loyalty.reward_added",
        detail={
            "reward_id": reward_id,
            "code": code,
            "name": name,
            "points_price": points_price,
            "stock": stock,
            "min_tier": min_tier,
        },
    )
    return reward_id


class UnknownReward(NotFound):
    code = "unknown_reward"


class TierNotAllowed(LoyaltyError):
    code, http_status = "tier_not_allowed", 403


class OrderNotFound(NotFound):
    code = "order_not_found"


class OrderNotOpen(HoldNotOpen):
    code = "order_not_open"


@dataclass(frozen=True)
class Offer:
    code: str
    name: str
    points_price: int
    stock: int
    min_tier: str | None
    affordable: bool


@dataclass(frozen=True)
class Catalogue:
    tier: str | None
    spendable: int
    rewards: list[Offer]


def visible_rewards(
    session: Session, *, account_id: int, now: dt.datetime, include_out_of_stock: bool = False
) -> Catalogue:
    """Active rewards the member's tier may order (in stock unless asked otherwise), cheapest first."""
    tier = session.execute(select(LoyaltyAccount.tier).where(LoyaltyAccount.id == account_id)).scalar_one()
    ranks: dict[str, int] = dict(session.execute(select(LoyaltyTier.code, LoyaltyTier.rank)).all())
    # The same reading as order_reward: a tier code not (or no longer) defined ranks 0, open to everyone.
    rank = ranks.get(tier, 0) if tier is not None else 0
    spendable = lots.spendable(session, account_id=account_id, now=now)
    query = (
        select(Reward.code, Reward.name, Reward.points_price, Reward.stock, Reward.min_tier)
        .where(Reward.active.is_(True))
        .order_by(Reward.points_price, Reward.code)
    )
    if not include_out_of_stock:
        query = query.where(Reward.stock > 0)
    offers = [
        Offer(
            code=row.code,
            name=row.name,
            points_price=row.points_price,
            stock=row.stock,
            min_tier=row.min_tier,
            affordable=row.points_price <= spendable,
        )
        for row in session.execute(query)
        if row.min_tier is None or ranks.get(row.min_tier, 0) <= rank
    ]
    return Catalogue(tier=tier, spendable=spendable, rewards=offers)


def order_reward(
    session: Session,
    *,
    member: Member,
    reward_code: str,
    now: dt.datetime,
    actor: Actor | None,
    partner_id: int | None = None,
) -> int:
    """Reserve one unit and hold its price; ``partner_id``: the partner placing it (None: staff, ``actor``).

    An order placed with a card is held to the card's per-minute limit like a till redemption, and its
    hold counts towards the card's later calls.
    """
    account_id = member.account_id
    postings.lock_members(session, [account_id])
    if member.card_id is not None:
        check_velocity(session, member=member, now=now)
    reward = session.execute(
        select(Reward.id, Reward.points_price, Reward.stock, Reward.min_tier, Reward.active)
        .where(Reward.code == reward_code)
        .with_for_update()
    ).first()
    if reward is None or not reward.active:
        raise UnknownReward(f"no reward {reward_code!r} in the catalogue")
    tier = session.execute(select(LoyaltyAccount.tier).where(LoyaltyAccount.id == account_id)).scalar_one()
    if tiers.rank_of(session, tier) < tiers.rank_of(session, reward.min_tier):
        raise TierNotAllowed(
            f"reward {reward_code} is for {reward.min_tier} members and above,"
            f" this member is {tier or 'without a tier'}"
        )
    if reward.stock <= 0:
        raise OutOfStock(f"reward {reward_code} is out of stock")
    hold = redemption.authorize(
        session,
        member=member,
        partner_id=None,
        points=reward.points_price,
        now=now,
        reference=f"reward {reward_code}",
        lifetime=ORDER_HOLD_LIFETIME,
    )
    session.execute(update(Reward).where(Reward.id == reward.id).values(stock=Reward.stock - 1))
    order_id = session.execute(
        insert(RewardOrder)
        .values(
            reward_id=reward.id,
            account_id=account_id,
            hold_id=hold.hold_id,
            partner_id=partner_id,
            status="reserved",
            created_at=now,
        )
        .returning(RewardOrder.id)
    ).scalar_one()
    if actor is not None:
        record(
            session,
            actor=actor,
            action="loyalty.reward_ordered",
            player_id=member.player_id,
            detail={
                "order_id": order_id,
                "reward_code": reward_code,
                "points": reward.points_price,
                "hold_id": hold.hold_id,
            },
        )
    return order_id


@dataclass(frozen=True)
class OrderView:
    order_id: int
    reward_code: str
    status: str
    points: int
    hold_id: int
    hold_expires_at: dt.datetime
    balance: int


def order_view(session: Session, *, order_id: int) -> OrderView:
    row = session.execute(
        select(
            RewardOrder.id,
            RewardOrder.status,
            RewardOrder.hold_id,
            Reward.code,
            LoyaltyHold.points,
            LoyaltyHold.expires_at,
            LoyaltyAccount.balance,
        )
        .join(Reward, Reward.id == RewardOrder.reward_id)
        .join(LoyaltyHold, LoyaltyHold.id == RewardOrder.hold_id)
        .join(LoyaltyAccount, LoyaltyAccount.id == RewardOrder.account_id)
        .where(RewardOrder.id == order_id)
    ).one()
    return OrderView(
        order_id=row.id,
        reward_code=row.code,
        status=row.status,
        points=row.points,
        hold_id=row.hold_id,
        hold_expires_at=row.expires_at,
        balance=row.balance,
    )


def _locked_open_order(session: Session, *, order_id: int, partner_id: int | None, any_partner: bool) -> Row:
    """Lock the order's member, then read the order (fixed order: account → order), and check it is open.

    Reading the status only under the lock is what makes two cancels of one order queue: the second sees
    "cancelled" and stops instead of putting the unit back twice.
    """
    account_id = session.execute(
        select(RewardOrder.account_id).where(RewardOrder.id == order_id)
    ).scalar_one_or_none()
    if account_id is None:
        raise OrderNotFound(f"no reward order {order_id}")
    postings.lock_members(session, [account_id])
    order = session.execute(
        select(
            RewardOrder.id,
            RewardOrder.hold_id,
            RewardOrder.reward_id,
            RewardOrder.status,
            RewardOrder.partner_id,
            LoyaltyAccount.player_id,
        )
        .join(LoyaltyAccount, LoyaltyAccount.id == RewardOrder.account_id)
        .where(RewardOrder.id == order_id)
    ).one()
    if not any_partner and order.partner_id != partner_id:
        # As for no order at all: a partner probing ids learns nothing of other partners' orders.
        raise OrderNotFound(f"no reward order {order_id}")
    if order.status != "reserved":
        raise OrderNotOpen(f"reward order {order_id} is already {order.status}")
    return order


def fulfil_order(session: Session, *, order_id: int, now: dt.datetime, actor: Actor) -> None:
    """Staff handed the reward over: the held points are spent."""
    order = _locked_open_order(session, order_id=order_id, partner_id=None, any_partner=True)
    redemption.capture(session, hold_id=order.hold_id, partner_id=None, now=now)
    session.execute(
        update(RewardOrder).where(RewardOrder.id == order_id).values(status="fulfilled", closed_at=now)
    )
    record(
        session,
        actor=actor,
        action="loyalty.reward_order_fulfilled",
        player_id=order.player_id,
        detail={"order_id": order_id},
    )


def cancel_order(
    session: Session,
    *,
    order_id: int,
    now: dt.datetime,
    actor: Actor | None,
    partner_id: int | None = None,
    any_partner: bool = True,
) -> None:
    """Put the unit back and release the points. ``any_partner=False``: only the placing partner may.

    An order whose hold was voided but which is still reserved (placed before the stale-holds job closed
    lapsed orders) has no points left to release; cancelling it still gives the unit back.
    """
    order = _locked_open_order(session, order_id=order_id, partner_id=partner_id, any_partner=any_partner)
    hold_status = session.execute(
        select(LoyaltyHold.status).where(LoyaltyHold.id == order.hold_id)
    ).scalar_one()
    if hold_status == "authorized":
        redemption.void(
            session, hold_id=order.hold_id, partner_id=None, now=now, reason="reward order cancelled"
        )
    session.execute(update(Reward).where(Reward.id == order.reward_id).values(stock=Reward.stock + 1))
    session.execute(
        update(RewardOrder).where(RewardOrder.id == order_id).values(status="cancelled", closed_at=now)
    )
    if actor is not None:
        record(
            session,
            actor=actor,
            action="loyalty.reward_order_cancelled",
            player_id=order.player_id,
            detail={"order_id": order_id},
        )


def close_lapsed_order(session: Session, *, hold_id: int, now: dt.datetime) -> bool:
    """Cancel the reserved order whose hold the stale-holds job has just voided, and put its unit back.

    Called in the void's transaction, under the member lock the void took, so a till cancelling the same
    order queues behind it and then finds it closed. True if the hold belonged to an open order.
    """
    order = session.execute(
        select(RewardOrder.id, RewardOrder.reward_id).where(
            RewardOrder.hold_id == hold_id, RewardOrder.status == "reserved"
        )
    ).first()
    if order is None:
        return False
    session.execute(update(Reward).where(Reward.id == order.reward_id).values(stock=Reward.stock + 1))
    session.execute(
        update(RewardOrder).where(RewardOrder.id == order.id).values(status="cancelled", closed_at=now)
    )
    return True
