"""Evaluate the earn rules (rows of ``loyalty_earn_rules``) for one purchase.

points = base rate (the most specific matching rule) × every matching time-boxed multiplier × the tier's
multiplier, floored at each step, then cut to what the tightest matching daily cap still allows. All integer.

A "day" for caps is the operator's calendar day (``LOTTOCRM_TIMEZONE``, through :mod:`lottocrm.clock`): in
Moscow a purchase at 23:30 UTC is 02:30 the next morning for the member and the till, so it counts toward
that next day; in a zone with summer time the day of the change is 23 or 25 hours long.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.loyalty.models import EarnRule, LoyaltyOperation, LoyaltyTier

# With no base-rate rule at all the programme still pays 1 point per 100 ₽.
FALLBACK_POINTS_PER_100_RUB = 1
KOPECKS_PER_100_RUB = 10_000


@dataclass(frozen=True)
class Purchase:
    source: Literal["ticket", "partner"]
    spend_kopecks: int
    at: dt.datetime
    partner_id: int | None = None
    game_id: int | None = None
    draw_id: int | None = None
    channel: str | None = None
    tier: str | None = None


_MATCH_COLUMNS = ("source", "partner_id", "game_id", "draw_id", "channel", "tier")


def _matches(rule: EarnRule, purchase: Purchase) -> bool:
    """Every match column the rule sets equals the purchase's (the time window is active_rules' job)."""
    return all(
        getattr(rule, column) is None or getattr(rule, column) == getattr(purchase, column)
        for column in _MATCH_COLUMNS
    )


def _specificity(rule: EarnRule) -> int:
    return sum(getattr(rule, column) is not None for column in _MATCH_COLUMNS)


_RULES = "loyalty_active_rules"


def active_rules(session: Session, *, kind: str, at: dt.datetime) -> list[EarnRule]:
    """Rules of ``kind`` in force at ``at``. All active rules are read once per session (they are a few
    dozen rows that change rarely), so evaluating a purchase costs no rule queries after the first."""
    if _RULES not in session.info:
        session.info[_RULES] = list(
            session.execute(select(EarnRule).where(EarnRule.active.is_(True)).order_by(EarnRule.id)).scalars()
        )
    return [
        rule
        for rule in session.info[_RULES]
        if rule.kind == kind
        and (rule.valid_from is None or rule.valid_from <= at)
        and (rule.valid_to is None or at < rule.valid_to)
    ]


def base_points(session: Session, purchase: Purchase) -> int:
    candidates = [
        rule for rule in active_rules(session, kind="base_rate", at=purchase.at) if _matches(rule, purchase)
    ]
    rate = (
        max(candidates, key=lambda rule: (_specificity(rule), -rule.id)).points_per_100_rub
        if candidates
        else FALLBACK_POINTS_PER_100_RUB
    )
    return purchase.spend_kopecks * (rate or 0) // KOPECKS_PER_100_RUB


def multiplied_points(session: Session, purchase: Purchase, points: int) -> int:
    for rule in active_rules(session, kind="multiplier", at=purchase.at):
        if _matches(rule, purchase) and rule.multiplier_percent is not None:
            points = points * rule.multiplier_percent // 100
    if purchase.tier is not None:
        tier_percent = session.execute(
            select(LoyaltyTier.earn_multiplier_percent).where(LoyaltyTier.code == purchase.tier)
        ).scalar_one_or_none()
        points = points * (tier_percent or 100) // 100
    return points


def _earn_scope(rule: EarnRule) -> list[ColumnElement[bool]]:
    """What of a cap's match columns an earn operation records: its source and its partner.

    Game, draw, channel and tier are not kept on the operation, so a cap scoped by them counts every earn
    of the member that day (the stricter reading: never more than the cap).
    """
    scope: list[ColumnElement[bool]] = []
    if rule.partner_id is not None:
        scope.append(LoyaltyOperation.partner_id == rule.partner_id)
    if rule.source == "partner":
        scope.append(LoyaltyOperation.partner_id.is_not(None))
    elif rule.source == "ticket":
        scope.append(LoyaltyOperation.source_key.like("ticket:%"))
    return scope


def earned_today(
    session: Session, *, account_id: int, at: dt.datetime, scope: list[ColumnElement[bool]] | None = None
) -> int:
    """Points earned (gross: a later return does not give cap room back) on the operator's day of ``at``.

    Bounded on both sides: lake tickets are earned dated at their sale, possibly after later days' earns.
    """
    start, end = clock.day_bounds_at(at)
    return session.execute(
        select(func.coalesce(cast(func.sum(LoyaltyOperation.points), BigInteger), 0)).where(
            LoyaltyOperation.account_id == account_id,
            LoyaltyOperation.kind == "earn",
            LoyaltyOperation.created_at >= start,
            LoyaltyOperation.created_at < end,
            *(scope or ()),
        )
    ).scalar_one()


def capped_points(session: Session, purchase: Purchase, points: int, *, account_id: int) -> int:
    """Cut ``points`` to the room every matching cap still has today; each cap counts the earns it covers."""
    caps = [
        rule
        for rule in active_rules(session, kind="daily_cap", at=purchase.at)
        if _matches(rule, purchase) and rule.cap_points is not None
    ]
    for rule in caps:
        if points == 0:
            break
        used = earned_today(session, account_id=account_id, at=purchase.at, scope=_earn_scope(rule))
        points = max(0, min(points, rule.cap_points - used))
    return points


def points_for(session: Session, purchase: Purchase, *, account_id: int) -> int:
    """Points this purchase earns; call under the account lock so the daily cap sees every earlier earn."""
    points = multiplied_points(session, purchase, base_points(session, purchase))
    return capped_points(session, purchase, points, account_id=account_id)


def welcome_bonus_points(session: Session, *, at: dt.datetime) -> int:
    rules = active_rules(session, kind="welcome_bonus", at=at)
    return max((rule.bonus_points or 0 for rule in rules), default=0)


def every_rule(session: Session) -> list[EarnRule]:
    """Every rule, in force or not, in the order they were added."""
    return list(session.execute(select(EarnRule).order_by(EarnRule.id)).scalars())


def add_rule(session: Session, *, name: str, kind: str, actor: Actor, **fields: object) -> int:
    """A new rule in force from the next purchase; who added it, and what it says, goes to the audit log."""
    rule = EarnRule(name=name, kind=kind, active=True, **fields)
    session.add(rule)
    session.flush()
    session.info.pop(_RULES, None)  # this session's later purchases see the new rule
    given = {column: value for column, value in fields.items() if value is not None}
    record(
        session,
        actor=actor,
        action="loyalty.earn_rule_added",
        detail={
            "rule_id": rule.id,
            "name": name,
            "kind": kind,
            **{
                column: value.isoformat() if isinstance(value, dt.datetime) else value
                for column, value in given.items()
            },
        },
    )
    return rule.id
