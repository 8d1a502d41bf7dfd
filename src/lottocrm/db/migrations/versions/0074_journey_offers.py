"""marketing: what a journey's offer steps gave

Revision ID: 0074
Revises: 0072
Create Date: 2026-12-08 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0074"
down_revision = "0072"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "journey_offers",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "instance_id", BigId, sa.ForeignKey("journey_instances.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.BigInteger(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=True),
        sa.Column("operation_id", sa.BigInteger(), nullable=True),
        sa.Column("promo_code", sa.String(16), nullable=True, unique=True),
        sa.Column("value_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("instance_id", "step", "visit", name="uq_journey_offers_visit"),
    )
    op.create_index("ix_journey_offers_journey_id", "journey_offers", ["journey_id"])


def downgrade() -> None:
    op.drop_table("journey_offers")
