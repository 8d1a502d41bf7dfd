"""Coalition settlement for a period: what each partner issued and accepted, in rubles — who owes whom.

A partner that issues points owes the programme their value (it sold goods with a points promise attached);
the programme owes a partner the value of points its tills accepted as payment. Both are read from the
postings on the partner's two accounts, so reversals and refunds are netted automatically. The figures are
what partners are invoiced on, so who drew them up, for which period, goes to the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyPartner, LoyaltyPosting

# The programme rate: 1 point is worth 1 ruble when a partner settles.
POINT_VALUE_KOPECKS = 100


@dataclass(frozen=True)
class SettlementLine:
    partner_code: str
    partner_name: str
    points_issued: int
    points_redeemed: int
    issued_kopecks: int
    redeemed_kopecks: int

    @property
    def partner_owes_kopecks(self) -> int:
        """Positive: the partner pays the programme; negative: the programme pays the partner."""
        return self.issued_kopecks - self.redeemed_kopecks


def settlement(
    session: Session,
    *,
    start: dt.datetime,
    end: dt.datetime,
    actor: Actor,
    point_value_kopecks: int = POINT_VALUE_KOPECKS,
) -> list[SettlementLine]:
    """Postings with ``start <= created_at < end``, one line per partner (partners with no activity too)."""
    record(
        session,
        actor=actor,
        action="loyalty.settlement_drawn",
        detail={"from": start.isoformat(), "to": end.isoformat(), "point_value_kopecks": point_value_kopecks},
    )
    # Net flow per account: debits count positive for "issued" (the partner's issued account is debited on
    # earn, credited on reversal); credits count positive for "redeemed" (capture credits, refund debits).
    flow = {}
    for side, sign in ((LoyaltyPosting.debit_account_id, 1), (LoyaltyPosting.credit_account_id, -1)):
        for account_id, points in session.execute(
            select(side, func.sum(LoyaltyPosting.points))
            .where(LoyaltyPosting.created_at >= start, LoyaltyPosting.created_at < end)
            .group_by(side)
        ).all():
            flow[account_id] = flow.get(account_id, 0) + sign * int(points)
    rows = session.execute(
        select(
            LoyaltyPartner.id,
            LoyaltyPartner.code,
            LoyaltyPartner.name,
            LoyaltyAccount.id.label("account_id"),
            LoyaltyAccount.kind,
        )
        .join(LoyaltyAccount, LoyaltyAccount.partner_id == LoyaltyPartner.id)
        .order_by(LoyaltyPartner.code, case((LoyaltyAccount.kind == "partner_issued", 0), else_=1))
    ).all()
    totals: dict[int, dict[str, object]] = {}
    for row in rows:
        line = totals.setdefault(row.id, {"code": row.code, "name": row.name, "issued": 0, "redeemed": 0})
        if row.kind == "partner_issued":
            line["issued"] = flow.get(row.account_id, 0)
        else:
            line["redeemed"] = -flow.get(row.account_id, 0)
    return [
        SettlementLine(
            partner_code=str(line["code"]),
            partner_name=str(line["name"]),
            points_issued=int(line["issued"]),
            points_redeemed=int(line["redeemed"]),
            issued_kopecks=int(line["issued"]) * point_value_kopecks,
            redeemed_kopecks=int(line["redeemed"]) * point_value_kopecks,
        )
        for line in totals.values()
    ]
