"""The rewards catalogue: an order reserves one unit of stock and holds the points, in one transaction.

Lock order is the member account, then the reward row, as everywhere: account first. Fulfilling an order
captures the hold to the programme's rewards account; cancelling voids it and puts the unit back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lottocrm.loyalty import ledger, redemption
from lottocrm.loyalty.errors import HoldNotOpen, NotFound, OutOfStock, PartnerNotAllowed
from lottocrm.loyalty.members import member_of_account
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyTier, Reward, RewardOrder

ORDER_HOLD_LIFETIME = dt.timedelta(days=14)


def add_reward(
    session: Session, *, code: str, name: str, points_price: int, stock: int, min_tier: str | None = None
) -> int:
    return session.execute(
        insert(Reward)
        .values(code=code, name=name, points_price=points_price, stock=stock, min_tier=min_tier, active=True)
        .returning(Reward.id)
    ).scalar_one()


def _tier_rank(session: Session, code: str | None) -> int:
    if code is None:
        return 0
    return session.execute(select(LoyaltyTier.rank).where(LoyaltyTier.code == code)).scalar_one_or_none() or 0


def order_reward(session: Session, *, account_id: int, reward_code: str, now: dt.datetime) -> int:
    ledger.lock_members(session, [account_id])
    reward = session.execute(
        select(Reward.id, Reward.points_price, Reward.stock, Reward.min_tier, Reward.active)
        .where(Reward.code == reward_code)
        .with_for_update()
    ).first()
    if reward is None or not reward.active:
        raise NotFound(f"no reward {reward_code!r} in the catalogue")
    tier = session.execute(select(LoyaltyAccount.tier).where(LoyaltyAccount.id == account_id)).scalar_one()
    if _tier_rank(session, tier) < _tier_rank(session, reward.min_tier):
        raise PartnerNotAllowed(f"reward {reward_code} is for {reward.min_tier} members and above")
    if reward.stock <= 0:
        raise OutOfStock(f"reward {reward_code} is out of stock")
    hold = redemption.authorize(
        session,
        member=member_of_account(session, account_id=account_id),
        partner_id=None,
        points=reward.points_price,
        now=now,
        reference=f"reward {reward_code}",
        lifetime=ORDER_HOLD_LIFETIME,
    )
    session.execute(update(Reward).where(Reward.id == reward.id).values(stock=Reward.stock - 1))
    return session.execute(
        insert(RewardOrder)
        .values(
            reward_id=reward.id,
            account_id=account_id,
            hold_id=hold.hold_id,
            status="reserved",
            created_at=now,
        )
        .returning(RewardOrder.id)
    ).scalar_one()


def _open_order(session: Session, order_id: int):  # type: ignore[no-untyped-def]
    order = session.execute(
        select(RewardOrder.id, RewardOrder.hold_id, RewardOrder.reward_id, RewardOrder.status).where(
            RewardOrder.id == order_id
        )
    ).first()
    if order is None:
        raise NotFound(f"no reward order {order_id}")
    if order.status != "reserved":
        raise HoldNotOpen(f"reward order {order_id} is already {order.status}")
    return order


def fulfil_order(session: Session, *, order_id: int, now: dt.datetime) -> None:
    order = _open_order(session, order_id)
    redemption.capture(session, hold_id=order.hold_id, partner_id=None, now=now)
    session.execute(
        update(RewardOrder).where(RewardOrder.id == order_id).values(status="fulfilled", closed_at=now)
    )


def cancel_order(session: Session, *, order_id: int, now: dt.datetime) -> None:
    order = _open_order(session, order_id)
    redemption.void(session, hold_id=order.hold_id, partner_id=None, now=now, reason="reward order cancelled")
    session.execute(update(Reward).where(Reward.id == order.reward_id).values(stock=Reward.stock + 1))
    session.execute(
        update(RewardOrder).where(RewardOrder.id == order_id).values(status="cancelled", closed_at=now)
    )
