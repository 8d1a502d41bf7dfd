"""messaging: delivery receipts that arrive before their message's provider id is recorded

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_receipts")),
    )
    op.create_index("ix_early_receipts_provider", "early_receipts", ["channel", "provider_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_early_receipts_provider", table_name="early_receipts")
    op.drop_table("early_receipts")
