"""Tiers by rolling 12-month spend: an earn upgrades at once; downgrades wait for the periodic job.

Upgrading at once rewards the purchase that crossed the line; downgrading only in the job means a member
never loses a tier in the middle of a shopping trip because an old purchase just left the window.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import BigInteger, cast, func, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyOperation, LoyaltyTier

WINDOW = dt.timedelta(days=365)


class TierDefinition(NamedTuple):
    code: str
    name: str
    rank: int
    min_spend_12m_kopecks: int
    earn_multiplier_percent: int


DEFAULT_TIERS = (
    TierDefinition("bronze", "Bronze", 1, 0, 100),
    TierDefinition("silver", "Silver", 2, 2_000_000, 110),
    TierDefinition("gold", "Gold", 3, 10_000_000, 125),
    TierDefinition("vip", "VIP", 4, 50_000_000, 150),
)


def ensure_default_tiers(session: Session) -> None:
    if session.execute(select(func.count()).select_from(LoyaltyTier)).scalar_one():
        return
    for tier in DEFAULT_TIERS:
        session.execute(insert(LoyaltyTier).values(**tier._asdict()))


def spend_12m(session: Session, *, account_id: int, now: dt.datetime) -> int:
    """Qualifying spend: earned-on purchases in the window, minus the kopecks returned or reversed on them.

    A reversal records the kopecks it covers (a partial return part of the purchase, a cancelled ticket the
    rest), so a purchase returned in part still qualifies for what the member kept.
    """
    earned = select(LoyaltyOperation.id).where(
        LoyaltyOperation.account_id == account_id,
        LoyaltyOperation.kind == "earn",
        LoyaltyOperation.created_at > now - WINDOW,
    )
    bought, returned = (
        session.execute(
            select(func.coalesce(cast(func.sum(LoyaltyOperation.spend_kopecks), BigInteger), 0)).where(
                LoyaltyOperation.account_id == account_id, condition
            )
        ).scalar_one()
        for condition in (
            LoyaltyOperation.id.in_(earned),
            (LoyaltyOperation.kind == "earn_reversal") & LoyaltyOperation.reverses_id.in_(earned),
        )
    )
    return max(0, bought - returned)


def qualifying_tier(session: Session, *, account_id: int, now: dt.datetime) -> str | None:
    spend = spend_12m(session, account_id=account_id, now=now)
    return session.execute(
        select(LoyaltyTier.code)
        .where(LoyaltyTier.min_spend_12m_kopecks <= spend)
        .order_by(LoyaltyTier.rank.desc())
        .limit(1)
    ).scalar_one_or_none()


def _rank(session: Session, code: str | None) -> int:
    if code is None:
        return 0
    return session.execute(select(LoyaltyTier.rank).where(LoyaltyTier.code == code)).scalar_one_or_none() or 0


def upgrade_if_qualified(session: Session, *, account_id: int, now: dt.datetime) -> str | None:
    """After an earn, under the account lock: move up at once if the member now qualifies higher."""
    current = session.execute(select(LoyaltyAccount.tier).where(LoyaltyAccount.id == account_id)).scalar_one()
    qualified = qualifying_tier(session, account_id=account_id, now=now)
    if _rank(session, qualified) > _rank(session, current):
        session.execute(
            update(LoyaltyAccount)
            .where(LoyaltyAccount.id == account_id)
            .values(tier=qualified, tier_changed_at=now)
        )
        return qualified
    return current


def requalify(session: Session, *, account_id: int, now: dt.datetime) -> str | None:
    """The periodic job's step: set the tier to what the last 12 months earn, down as well as up."""
    qualified = qualifying_tier(session, account_id=account_id, now=now)
    session.execute(
        update(LoyaltyAccount)
        .where(LoyaltyAccount.id == account_id, LoyaltyAccount.tier.is_distinct_from(qualified))
        .values(tier=qualified, tier_changed_at=now)
    )
    return qualified
