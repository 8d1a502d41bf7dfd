"""The loyalty ledger and everything around it: partners, cards, rules, tiers, rewards.

Ledger shape (TigerBeetle-like): every movement of points is one posting from a debit account to a credit
account, for a positive integer amount. An account's balance is credits minus debits, so all balances sum to
zero by construction. Only member accounts keep a stored balance (updated in the posting's transaction and
checked by ``loyalty verify``); system accounts (partner issued/redeemed, expense, breakage, holds) are
derived from postings, which keeps them from becoming a row every till call has to lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

ACCOUNT_KINDS = ("member", "partner_issued", "partner_redeemed", "expense", "breakage", "holds", "rewards")
OPERATION_KINDS = (
    "earn",
    "earn_reversal",
    "welcome_bonus",
    "authorize",
    "capture",
    "void",
    "refund",
    "expire",
    "adjust",
)
HOLD_STATUSES = ("authorized", "captured", "voided")
CARD_STATUSES = ("active", "blocked")
RULE_KINDS = ("base_rate", "multiplier", "daily_cap", "welcome_bonus")
EARN_SOURCES = ("ticket", "partner")
ORDER_STATUSES = ("reserved", "fulfilled", "cancelled")


class LoyaltyPartner(Base):
    """A coalition partner brand (or the lottery itself when it sells through partner tills)."""

    __tablename__ = "loyalty_partners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    can_earn: Mapped[bool] = mapped_column(Boolean, default=True)
    can_redeem: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class PartnerApiKey(Base):
    """A till key: only a SHA-256 digest is kept; ``prefix`` finds the row without scanning every digest."""

    __tablename__ = "loyalty_partner_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("loyalty_partners.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class LoyaltyAccount(Base):
    """A points account. ``balance`` is stored only for members (NULL elsewhere) and may never go negative."""

    __tablename__ = "loyalty_accounts"
    __table_args__ = (CheckConstraint("balance IS NULL OR balance >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(choice("loyalty_account_kind", ACCOUNT_KINDS))
    player_id: Mapped[int | None] = mapped_column(ForeignKey("players.id"), unique=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_partners.id"), index=True)
    balance: Mapped[int | None] = mapped_column(BigInteger)
    tier: Mapped[str | None] = mapped_column(String(20))
    tier_changed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LoyaltyCard(Base):
    """A plastic or phone-wallet card; several cards may point at one member account."""

    __tablename__ = "loyalty_cards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(19), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("loyalty_accounts.id"), index=True)
    status: Mapped[str] = mapped_column(choice("loyalty_card_status", CARD_STATUSES), default="active")
    # Till calls (earns and authorizations) allowed per rolling minute: a stolen card is drained slowly.
    max_ops_per_minute: Mapped[int] = mapped_column(Integer, default=30)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LoyaltyOperation(Base):
    """One business event (an earn, a hold, a capture…); its postings carry the points.

    ``source_key`` makes replayable sources (lake tickets, cancellations) earn once: re-reading the lake
    finds the key taken and skips the ticket.
    """

    __tablename__ = "loyalty_operations"
    __table_args__ = (
        Index(None, "account_id", "created_at"),
        Index(None, "partner_id", "created_at"),
        Index(None, "card_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(choice("loyalty_operation_kind", OPERATION_KINDS))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_accounts.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_partners.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_cards.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    spend_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    source_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    reference: Mapped[str | None] = mapped_column(String(120))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_operations.id"))
    hold_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LoyaltyPosting(Base):
    """Append-only: never updated, never deleted. A mistake is corrected by another posting."""

    __tablename__ = "loyalty_postings"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("loyalty_operations.id"), index=True)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("loyalty_accounts.id"), index=True)
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("loyalty_accounts.id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class LoyaltyLot(Base):
    """Points earned together and expiring together; a member's balance is the sum of ``remaining``."""

    __tablename__ = "loyalty_lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= points", name="remaining_in_range"),
        Index(None, "account_id", "expires_at"),
        Index(None, "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("loyalty_accounts.id"))
    operation_id: Mapped[int] = mapped_column(ForeignKey("loyalty_operations.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LoyaltyLotDraw(Base):
    """Points an operation took from (positive) or gave back to (negative) a lot: how a void undoes a hold."""

    __tablename__ = "loyalty_lot_draws"
    __table_args__ = (CheckConstraint("points <> 0", name="points_nonzero"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("loyalty_operations.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("loyalty_lots.id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)


class LoyaltyHold(Base):
    """An authorized redemption: points parked on the holds account until captured, voided or stale."""

    __tablename__ = "loyalty_holds"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("captured_points >= 0 AND captured_points <= points", name="captured_in_range"),
        CheckConstraint(
            "refunded_points >= 0 AND refunded_points <= captured_points", name="refunded_in_range"
        ),
        Index(None, "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("loyalty_accounts.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_partners.id"))
    authorize_operation_id: Mapped[int] = mapped_column(ForeignKey("loyalty_operations.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    captured_points: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_points: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(choice("loyalty_hold_status", HOLD_STATUSES), default="authorized")
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class IdempotencyRecord(Base):
    """The first successful answer to (partner, key), replayed to retries; committed with the effect."""

    __tablename__ = "loyalty_idempotency"

    partner_id: Mapped[int] = mapped_column(ForeignKey("loyalty_partners.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class EarnRule(Base):
    """Earn rules as data. Empty match columns mean "any"; the most specific base rate wins.

    Rates are points per 100 ₽ and multipliers are percentages, so no float ever touches a point.
    """

    __tablename__ = "loyalty_earn_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(choice("loyalty_rule_kind", RULE_KINDS))
    source: Mapped[str | None] = mapped_column(choice("loyalty_earn_source", EARN_SOURCES))
    game_id: Mapped[int | None] = mapped_column(Integer)
    draw_id: Mapped[int | None] = mapped_column(BigInteger)
    channel: Mapped[str | None] = mapped_column(String(20))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_partners.id"))
    tier: Mapped[str | None] = mapped_column(String(20))
    points_per_100_rub: Mapped[int | None] = mapped_column(Integer)
    multiplier_percent: Mapped[int | None] = mapped_column(Integer)
    cap_points: Mapped[int | None] = mapped_column(BigInteger)
    bonus_points: Mapped[int | None] = mapped_column(BigInteger)
    valid_from: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    valid_to: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LoyaltyTier(Base):
    """A tier and what qualifies for it: rolling 12-month spend in kopecks."""

    __tablename__ = "loyalty_tiers"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    rank: Mapped[int] = mapped_column(Integer, unique=True)
    min_spend_12m_kopecks: Mapped[int] = mapped_column(BigInteger)
    earn_multiplier_percent: Mapped[int] = mapped_column(Integer, default=100)


class Reward(Base):
    __tablename__ = "loyalty_rewards"
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    points_price: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer)
    min_tier: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RewardOrder(Base):
    """A catalogue redemption: one unit of stock and a points hold, reserved together."""

    __tablename__ = "loyalty_reward_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("loyalty_rewards.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("loyalty_accounts.id"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("loyalty_holds.id"))
    # The partner whose till or app placed the order (NULL: staff, from the CLI); only it may cancel it.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_partners.id"))
    status: Mapped[str] = mapped_column(choice("loyalty_order_status", ORDER_STATUSES), default="reserved")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
