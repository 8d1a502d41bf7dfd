"""loyalty: the partner that placed a reward order (an order placed through the API is its to cancel)

Revision ID: 0010
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("loyalty_reward_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_loyalty_reward_orders_partner_id_loyalty_partners"),
            "loyalty_partners",
            ["partner_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("loyalty_reward_orders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_loyalty_reward_orders_partner_id_loyalty_partners"), type_="foreignkey"
        )
        batch_op.drop_column("partner_id")
