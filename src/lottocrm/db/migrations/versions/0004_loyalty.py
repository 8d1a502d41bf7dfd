"""loyalty: double-entry points ledger, lots, holds, partners and keys, cards, earn rules, tiers, rewards

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 17:23:47.787563
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loyalty_partners",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("can_earn", sa.Boolean(), nullable=False),
        sa.Column("can_redeem", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_partners")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_partners_code")),
    )
    op.create_table(
        "loyalty_rewards",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("points_price", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("min_tier", sa.String(length=20), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_loyalty_rewards_stock_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rewards")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_rewards_code")),
    )
    op.create_table(
        "loyalty_tiers",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("min_spend_12m_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("earn_multiplier_percent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_loyalty_tiers")),
        sa.UniqueConstraint("rank", name=op.f("uq_loyalty_tiers_rank")),
    )
    op.create_table(
        "loyalty_accounts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "member",
                "partner_issued",
                "partner_redeemed",
                "expense",
                "breakage",
                "holds",
                "rewards",
                name="loyalty_account_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("player_id", sa.BigInteger(), nullable=True),
        sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column("tier_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "balance IS NULL OR balance >= 0", name=op.f("ck_loyalty_accounts_balance_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["loyalty_partners.id"],
            name=op.f("fk_loyalty_accounts_partner_id_loyalty_partners"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_loyalty_accounts_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_accounts")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_accounts_code")),
        sa.UniqueConstraint("player_id", name=op.f("uq_loyalty_accounts_player_id")),
    )
    with op.batch_alter_table("loyalty_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_accounts_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "loyalty_earn_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "base_rate",
                "multiplier",
                "daily_cap",
                "welcome_bonus",
                name="loyalty_rule_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "ticket", "partner", name="loyalty_earn_source", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column("game_id", sa.Integer(), nullable=True),
        sa.Column("draw_id", sa.BigInteger(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column("points_per_100_rub", sa.Integer(), nullable=True),
        sa.Column("multiplier_percent", sa.Integer(), nullable=True),
        sa.Column("cap_points", sa.BigInteger(), nullable=True),
        sa.Column("bonus_points", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["loyalty_partners.id"],
            name=op.f("fk_loyalty_earn_rules_partner_id_loyalty_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_earn_rules")),
    )
    op.create_table(
        "loyalty_idempotency",
        sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["loyalty_partners.id"],
            name=op.f("fk_loyalty_idempotency_partner_id_loyalty_partners"),
        ),
        sa.PrimaryKeyConstraint("partner_id", "key", name=op.f("pk_loyalty_idempotency")),
    )
    with op.batch_alter_table("loyalty_idempotency", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_idempotency_created_at"), ["created_at"], unique=False)

    op.create_table(
        "loyalty_partner_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["loyalty_partners.id"],
            name=op.f("fk_loyalty_partner_keys_partner_id_loyalty_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_partner_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_loyalty_partner_keys_prefix")),
    )
    with op.batch_alter_table("loyalty_partner_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_partner_keys_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "loyalty_cards",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=19), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active", "blocked", name="loyalty_card_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("max_ops_per_minute", sa.Integer(), nullable=False),
        sa.Column("blocked_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["loyalty_accounts.id"], name=op.f("fk_loyalty_cards_account_id_loyalty_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_cards")),
        sa.UniqueConstraint("number", name=op.f("uq_loyalty_cards_number")),
    )
    with op.batch_alter_table("loyalty_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_cards_account_id"), ["account_id"], unique=False)

    op.create_table(
        "loyalty_operations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "earn",
                "earn_reversal",
                "welcome_bonus",
                "authorize",
                "capture",
                "void",
                "refund",
                "expire",
                "adjust",
                name="loyalty_operation_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("card_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("spend_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("source_key", sa.String(length=120), nullable=True),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_operations_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["loyalty_cards.id"], name=op.f("fk_loyalty_operations_card_id_loyalty_cards")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["loyalty_partners.id"],
            name=op.f("fk_loyalty_operations_partner_id_loyalty_partners"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["loyalty_operations.id"],
            name=op.f("fk_loyalty_operations_reverses_id_loyalty_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_operations")),
        sa.UniqueConstraint("source_key", name=op.f("uq_loyalty_operations_source_key")),
    )
    with op.batch_alter_table("loyalty_operations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_operations_account_id_created_at"),
            ["account_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_loyalty_operations_card_id_created_at"), ["card_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_loyalty_operations_partner_id_created_at"),
            ["partner_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "loyalty_holds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "authorize_operation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("captured_points", sa.BigInteger(), nullable=False),
        sa.Column("refunded_points", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "authorized",
                "captured",
                "voided",
                name="loyalty_hold_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "captured_points >= 0 AND captured_points <= points",
            name=op.f("ck_loyalty_holds_captured_in_range"),
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_loyalty_holds_points_positive")),
        sa.CheckConstraint(
            "refunded_points >= 0 AND refunded_points <= captured_points",
            name=op.f("ck_loyalty_holds_refunded_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["loyalty_accounts.id"], name=op.f("fk_loyalty_holds_account_id_loyalty_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["authorize_operation_id"],
            ["loyalty_operations.id"],
            name=op.f("fk_loyalty_holds_authorize_operation_id_loyalty_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["loyalty_partners.id"], name=op.f("fk_loyalty_holds_partner_id_loyalty_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_holds")),
    )
    with op.batch_alter_table("loyalty_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_holds_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loyalty_holds_status_expires_at"), ["status", "expires_at"], unique=False
        )

    op.create_table(
        "loyalty_lots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("operation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= points", name=op.f("ck_loyalty_lots_remaining_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["loyalty_accounts.id"], name=op.f("fk_loyalty_lots_account_id_loyalty_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["loyalty_operations.id"],
            name=op.f("fk_loyalty_lots_operation_id_loyalty_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_lots")),
    )
    with op.batch_alter_table("loyalty_lots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_lots_account_id_expires_at"), ["account_id", "expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loyalty_lots_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "loyalty_postings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("operation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("debit_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "debit_account_id <> credit_account_id", name=op.f("ck_loyalty_postings_distinct_accounts")
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_loyalty_postings_points_positive")),
        sa.ForeignKeyConstraint(
            ["credit_account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_postings_credit_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_postings_debit_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["loyalty_operations.id"],
            name=op.f("fk_loyalty_postings_operation_id_loyalty_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_postings")),
    )
    with op.batch_alter_table("loyalty_postings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_postings_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loyalty_postings_credit_account_id"), ["credit_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_loyalty_postings_debit_account_id"), ["debit_account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loyalty_postings_operation_id"), ["operation_id"], unique=False)

    op.create_table(
        "loyalty_lot_draws",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("operation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("points <> 0", name=op.f("ck_loyalty_lot_draws_points_nonzero")),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["loyalty_lots.id"], name=op.f("fk_loyalty_lot_draws_lot_id_loyalty_lots")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["loyalty_operations.id"],
            name=op.f("fk_loyalty_lot_draws_operation_id_loyalty_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_lot_draws")),
    )
    with op.batch_alter_table("loyalty_lot_draws", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_lot_draws_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loyalty_lot_draws_operation_id"), ["operation_id"], unique=False)

    op.create_table(
        "loyalty_reward_orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reward_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hold_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "reserved",
                "fulfilled",
                "cancelled",
                name="loyalty_order_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_reward_orders_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["loyalty_holds.id"], name=op.f("fk_loyalty_reward_orders_hold_id_loyalty_holds")
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"],
            ["loyalty_rewards.id"],
            name=op.f("fk_loyalty_reward_orders_reward_id_loyalty_rewards"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_reward_orders")),
    )
    with op.batch_alter_table("loyalty_reward_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_reward_orders_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loyalty_reward_orders_reward_id"), ["reward_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("loyalty_reward_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_reward_orders_reward_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_reward_orders_account_id"))

    op.drop_table("loyalty_reward_orders")
    with op.batch_alter_table("loyalty_lot_draws", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_lot_draws_operation_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_lot_draws_lot_id"))

    op.drop_table("loyalty_lot_draws")
    with op.batch_alter_table("loyalty_postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_postings_operation_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_postings_debit_account_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_postings_credit_account_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_postings_created_at"))

    op.drop_table("loyalty_postings")
    with op.batch_alter_table("loyalty_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_lots_expires_at"))
        batch_op.drop_index(batch_op.f("ix_loyalty_lots_account_id_expires_at"))

    op.drop_table("loyalty_lots")
    with op.batch_alter_table("loyalty_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_holds_status_expires_at"))
        batch_op.drop_index(batch_op.f("ix_loyalty_holds_account_id"))

    op.drop_table("loyalty_holds")
    with op.batch_alter_table("loyalty_operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_operations_partner_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_loyalty_operations_card_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_loyalty_operations_account_id_created_at"))

    op.drop_table("loyalty_operations")
    with op.batch_alter_table("loyalty_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_cards_account_id"))

    op.drop_table("loyalty_cards")
    with op.batch_alter_table("loyalty_partner_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_partner_keys_partner_id"))

    op.drop_table("loyalty_partner_keys")
    with op.batch_alter_table("loyalty_idempotency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_idempotency_created_at"))

    op.drop_table("loyalty_idempotency")
    op.drop_table("loyalty_earn_rules")
    with op.batch_alter_table("loyalty_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_accounts_partner_id"))

    op.drop_table("loyalty_accounts")
    op.drop_table("loyalty_tiers")
    op.drop_table("loyalty_rewards")
    op.drop_table("loyalty_partners")
