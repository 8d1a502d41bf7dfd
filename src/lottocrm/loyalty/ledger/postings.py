"""Locking members, recording operations and appending postings: what every movement of points is built from.

Locking rule: a member's account row is the lock for everything of that member — its balance, its lots and
its holds. Operations lock the member accounts they touch in ascending id order (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already serialises writers) before reading any of those rows, so two
operations on one member queue instead of both reading the same lots. System accounts are never locked: their
balances are derived from postings, and appending a posting needs no lock.

Every primitive here and in :mod:`.lots` takes a Session or the :class:`~.statements.Statements` of a till
call, whose writes may be queued and sent with the call's next round trip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import bindparam, case, insert, select, update

from lottocrm.loyalty.errors import InvalidAmount
from lottocrm.loyalty.ledger.statements import Statements, Target
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyOperation, LoyaltyPosting

# The statements every till call runs are built once with bound parameters (building a SQLAlchemy statement
# costs more CPU than PostgreSQL spends executing it) and run on the session's Connection: the ledger reads
# and writes plain rows, so the ORM execution layer (autoflush, bulk-DML plugins) is pure overhead here
# (bench/RESULTS.md, "Till API: after the hot-path work").
LOCK_MEMBER = (
    select(LoyaltyAccount.balance).where(LoyaltyAccount.id == bindparam("account_id")).with_for_update()
)
_INSERT_POSTING = insert(LoyaltyPosting.__table__)
_MOVE_BALANCES = (
    update(LoyaltyAccount)
    .where(
        LoyaltyAccount.id.in_((bindparam("debit"), bindparam("credit"))), LoyaltyAccount.balance.is_not(None)
    )
    .values(
        balance=LoyaltyAccount.balance
        + case((LoyaltyAccount.id == bindparam("credit"), bindparam("points")), else_=-bindparam("points"))
    )
)
_INSERT_OPERATION = insert(LoyaltyOperation.__table__).returning(LoyaltyOperation.id)


def lock_members(target: Target, account_ids: Iterable[int]) -> dict[int, int]:
    """Lock member accounts in ascending id order; returns each one's stored balance."""
    sql = Statements.of(target)
    locked = [
        (account_id, sql.add(LOCK_MEMBER, {"account_id": account_id}))
        for account_id in sorted(set(account_ids))
    ]
    return {account_id: pending.one()[0] for account_id, pending in locked}


def new_operation(
    target: Target,
    *,
    kind: str,
    now: dt.datetime,
    points: int,
    operation_id: int | None = None,
    **fields: object,
) -> int:
    """Record an operation; with an ``operation_id`` reserved beforehand the insert is only queued."""
    sql = Statements.of(target)
    values = {"kind": kind, "points": points, "created_at": now, **fields}
    if operation_id is None:
        return sql.add(_INSERT_OPERATION, values).one()[0]
    sql.add(_INSERT_OPERATION, {"id": operation_id, **values})
    return operation_id


def post(
    target: Target,
    *,
    operation_id: int,
    debit: int,
    credit: int,
    points: int,
    now: dt.datetime,
    member_side: bool = True,
) -> None:
    """Append one posting and move the stored balances of whichever side is a member account.

    ``member_side=False``: the caller knows both sides are system accounts, so there is no stored balance
    to move and the UPDATE is left out.
    """
    if points <= 0:
        raise InvalidAmount(f"a posting moves a positive number of points, not {points}")
    sql = Statements.of(target)
    sql.add(
        _INSERT_POSTING,
        {
            "operation_id": operation_id,
            "debit_account_id": debit,
            "credit_account_id": credit,
            "points": points,
            "created_at": now,
        },
    )
    # Stored balances exist only on member rows (NULL elsewhere), so one UPDATE covers both sides. The
    # CHECK balance >= 0 backs up the callers' own sufficiency checks: a bug aborts instead of minting debt.
    if member_side:
        sql.add(_MOVE_BALANCES, {"debit": debit, "credit": credit, "points": points})
