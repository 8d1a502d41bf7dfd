"""Velocity limit per card: earns and authorizations in the last minute, counted under the account lock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from lottocrm.loyalty.errors import VelocityLimit
from lottocrm.loyalty.members import Member
from lottocrm.loyalty.models import LoyaltyOperation

WINDOW = dt.timedelta(minutes=1)

# Built once: it runs on every earn and authorization at a till.
_RECENT_CALLS = (
    select(func.count())
    .select_from(LoyaltyOperation)
    .where(
        LoyaltyOperation.card_id == bindparam("card_id"),
        LoyaltyOperation.created_at > bindparam("since", type_=LoyaltyOperation.created_at.type),
        LoyaltyOperation.kind.in_(("earn", "authorize")),
    )
)


def check_velocity(session: Session, *, member: Member, now: dt.datetime) -> None:
    recent = (
        session.connection()
        .execute(_RECENT_CALLS, {"card_id": member.card_id, "since": now - WINDOW})
        .scalar_one()
    )
    if recent >= member.max_ops_per_minute:
        raise VelocityLimit(
            f"card {member.card_number} made {recent} till calls in the last minute "
            f"(limit {member.max_ops_per_minute}); try again later"
        )
