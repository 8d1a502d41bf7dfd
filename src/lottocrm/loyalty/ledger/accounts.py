"""Finding and creating accounts. System accounts are created on first use, race-free on both dialects."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.db.conflicts import insert_ignoring_conflicts
from lottocrm.loyalty.models import LoyaltyAccount

# code → id of system accounts, per database, saving a query on every till call. Account rows are never
# deleted or renumbered, so a committed id stays right; ids a transaction saw enter the cache only when
# that transaction commits (it may have created the row itself and then rolled back).
_known_ids: dict[tuple[object, str], int] = {}
_SEEN = "loyalty_accounts_seen"


@event.listens_for(Session, "after_commit")
def _remember_seen_accounts(session: Session) -> None:
    _known_ids.update(session.info.pop(_SEEN, {}))


@event.listens_for(Session, "after_soft_rollback")
def _forget_seen_accounts(session: Session, _previous_transaction: object) -> None:
    session.info.pop(_SEEN, None)


def _get_or_create(
    session: Session,
    *,
    code: str,
    kind: str,
    partner_id: int | None = None,
    player_id: int | None = None,
    balance: int | None = None,
) -> int:
    database = session.get_bind().url
    cached = _known_ids.get((database, code))
    if cached is not None:
        return cached
    found = session.execute(select(LoyaltyAccount.id).where(LoyaltyAccount.code == code)).scalar_one_or_none()
    if found is not None:
        session.info.setdefault(_SEEN, {})[(database, code)] = found
        return found
    # ON CONFLICT DO NOTHING: two first uses racing must not abort one of the callers' transactions.
    session.execute(
        insert_ignoring_conflicts(session, LoyaltyAccount, ["code"]).values(
            code=code,
            kind=kind,
            partner_id=partner_id,
            player_id=player_id,
            balance=balance,
            created_at=clock.now(),
        )
    )
    return session.execute(select(LoyaltyAccount.id).where(LoyaltyAccount.code == code)).scalar_one()


def programme_account(session: Session, kind: str) -> int:
    """The single expense, breakage, holds or rewards account of the programme."""
    assert kind in ("expense", "breakage", "holds", "rewards"), kind
    return _get_or_create(session, code=kind, kind=kind)


def partner_issued_account(session: Session, partner_id: int) -> int:
    """Debited for points a partner issues: the partner owes the programme for them."""
    return _get_or_create(
        session, code=f"partner:{partner_id}:issued", kind="partner_issued", partner_id=partner_id
    )


def partner_redeemed_account(session: Session, partner_id: int) -> int:
    """Credited for points redeemed at a partner's tills: the programme owes the partner for them."""
    return _get_or_create(
        session, code=f"partner:{partner_id}:redeemed", kind="partner_redeemed", partner_id=partner_id
    )


def balance_of(session: Session, account_id: int) -> int:
    """A member account's stored balance."""
    return session.execute(select(LoyaltyAccount.balance).where(LoyaltyAccount.id == account_id)).scalar_one()


def player_id_of(session: Session, account_id: int) -> int | None:
    """The player a member account belongs to (None for a system account)."""
    return session.execute(
        select(LoyaltyAccount.player_id).where(LoyaltyAccount.id == account_id)
    ).scalar_one()


def member_account(session: Session, player_id: int) -> int:
    return _get_or_create(session, code=f"member:{player_id}", kind="member", player_id=player_id, balance=0)
