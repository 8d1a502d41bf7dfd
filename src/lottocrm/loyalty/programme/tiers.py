"""Tiers by rolling 12-month spend: an earn upgrades at once; downgrades wait for the periodic job.

Upgrading at once rewards the purchase that crossed the line; downgrading only in the job means a member
never loses a tier in the middle of a shopping trip because an old purchase just left the window. Every
change is announced (``loyalty.tier_changed``) in the transaction that makes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import BigInteger, Row, cast, func, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.events.outbox import emit, event_id_for
from lottocrm.loyalty.events import TierChanged
from lottocrm.loyalty.ledger import postings
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


def ensure_default_tiers(session: Session, *, actor: Actor) -> None:
    """Bronze…VIP when the programme has no tiers yet (audited); nothing when it has some."""
    if session.execute(select(func.count()).select_from(LoyaltyTier)).scalar_one():
        return
    for tier in DEFAULT_TIERS:
        session.execute(insert(LoyaltyTier).values(**tier._asdict()))
    record(
        session,
        actor=actor,
        action="loyalty.tiers_seeded",
        detail={"tiers": [tier.code for tier in DEFAULT_TIERS]},
    )


def every_tier(session: Session) -> list[LoyaltyTier]:
    return list(session.execute(select(LoyaltyTier).order_by(LoyaltyTier.rank)).scalars())


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


def rank_of(session: Session, code: str | None) -> int:
    """A tier's rank; no tier, or a code not (or no longer) defined, ranks 0."""
    if code is None:
        return 0
    return session.execute(select(LoyaltyTier.rank).where(LoyaltyTier.code == code)).scalar_one_or_none() or 0


@dataclass(frozen=True)
class TierChange:
    account_id: int
    player_id: int | None
    previous: str | None
    tier: str | None


def _current(session: Session, account_id: int) -> Row:
    return session.execute(
        select(LoyaltyAccount.tier, LoyaltyAccount.player_id).where(LoyaltyAccount.id == account_id)
    ).one()


def _change(
    session: Session, *, account_id: int, current: Row, tier: str | None, now: dt.datetime
) -> TierChange:
    session.execute(
        update(LoyaltyAccount).where(LoyaltyAccount.id == account_id).values(tier=tier, tier_changed_at=now)
    )
    change = TierChange(account_id=account_id, player_id=current.player_id, previous=current.tier, tier=tier)
    emit(
        session,
        TierChanged(
            player_id=change.player_id, account_id=account_id, previous_tier=change.previous, tier=tier
        ),
        # The same change (member, tier, moment) is one event however often it is looked at.
        event_id=event_id_for(TierChanged.name, str(account_id), tier or "", now.isoformat()),
    )
    return change


def upgrade_if_qualified(session: Session, *, account_id: int, now: dt.datetime) -> TierChange | None:
    """After an earn, under the account lock: move up at once if the member now qualifies higher."""
    current = _current(session, account_id)
    qualified = qualifying_tier(session, account_id=account_id, now=now)
    if rank_of(session, qualified) <= rank_of(session, current.tier):
        return None
    return _change(session, account_id=account_id, current=current, tier=qualified, now=now)


def requalify(session: Session, *, account_id: int, now: dt.datetime) -> TierChange | None:
    """The periodic job's step: set the tier to what the last 12 months earn, down as well as up.

    Under the member's lock, like an earn's upgrade, so the change announced is from the tier really held.
    """
    postings.lock_members(session, [account_id])
    current = _current(session, account_id)
    qualified = qualifying_tier(session, account_id=account_id, now=now)
    if qualified == current.tier:
        return None
    return _change(session, account_id=account_id, current=current, tier=qualified, now=now)
