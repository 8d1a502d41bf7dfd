"""Velocity limit per card: earns and authorizations in the last minute, counted under the account lock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm.loyalty.errors import VelocityLimit
from lottocrm.loyalty.members import Member
from lottocrm.loyalty.models import LoyaltyOperation

WINDOW = dt.timedelta(minutes=1)


def check_velocity(session: Session, *, member: Member, now: dt.datetime) -> None:
    recent = session.execute(
        select(func.count())
        .select_from(LoyaltyOperation)
        .where(
            LoyaltyOperation.card_id == member.card_id,
            LoyaltyOperation.created_at > now - WINDOW,
            LoyaltyOperation.kind.in_(("earn", "authorize")),
        )
    ).scalar_one()
    if recent >= member.max_ops_per_minute:
        raise VelocityLimit(
            f"card {member.card_number} made {recent} till calls in the last minute "
            f"(limit {member.max_ops_per_minute}); try again later"
        )
