"""messaging: the sandbox outbox, what the local gateways received

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sandbox_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("gateway", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_messages")),
    )
    op.create_index("ix_sandbox_messages_gateway_at", "sandbox_messages", ["gateway", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sandbox_messages_gateway_at", table_name="sandbox_messages")
    op.drop_table("sandbox_messages")
