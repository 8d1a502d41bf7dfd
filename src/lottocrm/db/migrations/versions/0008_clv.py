"""clv: clv_fits (parameters per calibration end) and player_clv (lifetime value per player and as-of)

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-22 20:25:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clv_fits",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model", sa.String(length=10), nullable=False),
        sa.Column("transaction", sa.String(length=10), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("spend_params", sa.JSON(), nullable=False),
        sa.Column("log_likelihood", sa.Float(), nullable=False),
        sa.Column("players", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_clv_fits")),
    )
    op.create_table(
        "player_clv",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("model", sa.String(length=10), nullable=False),
        sa.Column("probability_alive", sa.Float(), nullable=False),
        sa.Column("expected_purchases", sa.Float(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("expected_spend_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("clv_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("discount_rate", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "player_id", name=op.f("pk_player_clv")),
    )
    op.create_index("ix_player_clv_player_id_as_of", "player_clv", ["player_id", "as_of"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_player_clv_player_id_as_of", table_name="player_clv")
    op.drop_table("player_clv")
    op.drop_table("clv_fits")
