"""Bonus points another domain grants (a campaign's offer to the players who responded): the programme's own
expense, posted like any earn, once per source key — a caller that asks again (a job run twice) gets None
and nothing moves. Posted as an adjustment signed by the granting actor, with the reason, so the member's
statement says where the points came from."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.loyalty.errors import InvalidAmount
from lottocrm.loyalty.ledger import postings
from lottocrm.loyalty.ledger.accounts import balance_of, programme_account
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyOperation
from lottocrm.loyalty.programme.earning import EarnResult, credit_points

MAX_SOURCE_KEY = LoyaltyOperation.__table__.c.source_key.type.length


def member_accounts(session: Session, player_ids: list[int]) -> dict[int, int]:
    """Each player's member account id (players without one are left out)."""
    rows = session.execute(
        select(LoyaltyAccount.player_id, LoyaltyAccount.id).where(
            LoyaltyAccount.kind == "member", LoyaltyAccount.player_id.in_(player_ids)
        )
    ).all()
    return {int(player_id): int(account_id) for player_id, account_id in rows}


def grant_bonus(
    session: Session,
    *,
    account_id: int,
    points: int,
    source_key: str,
    actor: str,
    reason: str,
    now: dt.datetime,
) -> EarnResult | None:
    """Credit ``points`` to the member account once for ``source_key``; None when that key was used."""
    if points <= 0:
        raise InvalidAmount("a bonus of %(points)s points credits nothing", points=points)
    if len(source_key) > MAX_SOURCE_KEY:
        raise InvalidAmount("a bonus's source key is at most %(limit)s characters", limit=MAX_SOURCE_KEY)
    postings.lock_members(session, [account_id])
    taken = session.execute(
        select(LoyaltyOperation.id).where(LoyaltyOperation.source_key == source_key)
    ).first()
    if taken is not None:
        return None
    operation_id = credit_points(
        session,
        account_id=account_id,
        funding_account_id=programme_account(session, "expense"),
        points=points,
        kind="adjust",
        now=now,
        source_key=source_key,
        actor=actor,
        reason=reason,
    )
    return EarnResult(operation_id=operation_id, points=points, balance=balance_of(session, account_id))
