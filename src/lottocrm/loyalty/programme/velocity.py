"""Velocity limit per card: earns and authorizations in the last minute, counted under the account lock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from lottocrm.loyalty.errors import VelocityLimit
from lottocrm.loyalty.ledger.statements import Pending, Statements
from lottocrm.loyalty.models import LoyaltyOperation
from lottocrm.loyalty.programme.members import Member

WINDOW = dt.timedelta(minutes=1)

# Built once: it runs on every earn and authorization at a till. OR rather than IN keeps the statement free
# of expanding parameters, so it compiles once for the pipelined till path too.
_RECENT_CALLS = (
    select(func.count())
    .select_from(LoyaltyOperation)
    .where(
        LoyaltyOperation.card_id == bindparam("card_id"),
        LoyaltyOperation.created_at > bindparam("since", type_=LoyaltyOperation.created_at.type),
        or_(LoyaltyOperation.kind == "earn", LoyaltyOperation.kind == "authorize"),
    )
)


def recent_calls(target: Session | Statements, *, member: Member, now: dt.datetime) -> Pending:
    """Queue the count; run it after the member's account is locked, so concurrent calls count each other."""
    return Statements.of(target).add(_RECENT_CALLS, {"card_id": member.card_id, "since": now - WINDOW})


def enforce(recent: Pending, *, member: Member) -> None:
    count = recent.scalar()
    if count >= member.max_ops_per_minute:
        raise VelocityLimit(
            # The count is not told: PostgreSQL's till functions stop counting at the limit.
            f"card {member.card_number} reached its limit of {member.max_ops_per_minute} till calls a "
            "minute; try again later"
        )


def check_velocity(target: Session | Statements, *, member: Member, now: dt.datetime) -> None:
    enforce(recent_calls(target, member=member, now=now), member=member)
