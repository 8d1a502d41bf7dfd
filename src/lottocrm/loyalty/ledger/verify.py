"""``loyalty verify``: recompute everything derivable from the postings and compare with what is stored.

Read-only and one consistent snapshot (REPEATABLE READ on PostgreSQL; on SQLite the transaction holds the
write lock for the few queries it runs), so it can run beside live till traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Engine, cast, func, select
from sqlalchemy.orm import Session

from lottocrm.loyalty.models import (
    LoyaltyAccount,
    LoyaltyHold,
    LoyaltyLot,
    LoyaltyLotDraw,
    LoyaltyOperation,
    LoyaltyPosting,
)


@dataclass
class VerifyReport:
    accounts: int = 0
    postings: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


def _derived_balances(session: Session) -> dict[int, int]:
    credits = dict(
        session.execute(
            select(LoyaltyPosting.credit_account_id, func.sum(LoyaltyPosting.points)).group_by(
                LoyaltyPosting.credit_account_id
            )
        ).all()
    )
    debits = dict(
        session.execute(
            select(LoyaltyPosting.debit_account_id, func.sum(LoyaltyPosting.points)).group_by(
                LoyaltyPosting.debit_account_id
            )
        ).all()
    )
    return {
        account: int(credits.get(account, 0)) - int(debits.get(account, 0)) for account in credits | debits
    }


def check(session: Session) -> VerifyReport:
    report = VerifyReport()
    derived = _derived_balances(session)
    report.postings = session.execute(select(func.count()).select_from(LoyaltyPosting)).scalar_one()
    lots = dict(
        session.execute(
            select(LoyaltyLot.account_id, func.sum(LoyaltyLot.remaining)).group_by(LoyaltyLot.account_id)
        ).all()
    )
    holds_code_id = None
    for account in session.execute(
        select(LoyaltyAccount.id, LoyaltyAccount.code, LoyaltyAccount.kind, LoyaltyAccount.balance)
    ).all():
        report.accounts += 1
        if account.kind == "holds":
            holds_code_id = account.id
        if account.kind != "member":
            continue
        posted = derived.get(account.id, 0)
        if account.balance != posted:
            report.problems.append(f"{account.code}: stored balance {account.balance} ≠ postings {posted}")
        if account.balance is not None and account.balance < 0:
            report.problems.append(f"{account.code}: negative balance {account.balance}")
        in_lots = int(lots.get(account.id, 0) or 0)
        if in_lots != posted:
            report.problems.append(f"{account.code}: lots hold {in_lots} points, postings say {posted}")
    if sum(derived.values()) != 0:
        report.problems.append(f"postings do not balance: accounts sum to {sum(derived.values())}")
    open_holds = session.execute(
        select(func.coalesce(cast(func.sum(LoyaltyHold.points), BigInteger), 0)).where(
            LoyaltyHold.status == "authorized"
        )
    ).scalar_one()
    on_holds_account = derived.get(holds_code_id, 0) if holds_code_id is not None else 0
    if int(open_holds) != on_holds_account:
        report.problems.append(f"open holds total {open_holds}, holds account carries {on_holds_account}")
    lot_drift = session.execute(
        select(
            LoyaltyLot.id,
            LoyaltyLot.points,
            LoyaltyLot.remaining,
            func.coalesce(cast(func.sum(LoyaltyLotDraw.points), BigInteger), 0),
        )
        .outerjoin(LoyaltyLotDraw, LoyaltyLotDraw.lot_id == LoyaltyLot.id)
        .group_by(LoyaltyLot.id, LoyaltyLot.points, LoyaltyLot.remaining)
        .having(
            LoyaltyLot.points - func.coalesce(cast(func.sum(LoyaltyLotDraw.points), BigInteger), 0)
            != LoyaltyLot.remaining
        )
    ).all()
    for lot in lot_drift:
        report.problems.append(
            f"lot {lot.id}: {lot.points} earned − {lot[3]} drawn ≠ {lot.remaining} remaining"
        )
    twice = (
        session.execute(
            select(LoyaltyOperation.hold_id)
            .where(LoyaltyOperation.kind.in_(("capture", "void")))
            .group_by(LoyaltyOperation.hold_id)
            .having(func.count() > 1)
        )
        .scalars()
        .all()
    )
    for hold_id in twice:
        report.problems.append(f"hold {hold_id} was settled (captured or voided) more than once")
    return report


def verify(engine: Engine) -> VerifyReport:
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return check(session)
