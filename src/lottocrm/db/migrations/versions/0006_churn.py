"""churn: churn_models (registered artifacts) and churn_scores (probability per player, as-of and version)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 20:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "churn_models",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("training_as_of", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("training_rows", sa.Integer(), nullable=False),
        sa.Column("model_sha256", sa.String(length=64), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_churn_models")),
    )
    op.create_table(
        "churn_scores",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("player_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("risk_band", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "model_version", "player_id", name=op.f("pk_churn_scores")),
    )
    op.create_index("ix_churn_scores_player_id_as_of", "churn_scores", ["player_id", "as_of"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_churn_scores_player_id_as_of", table_name="churn_scores")
    op.drop_table("churn_scores")
    op.drop_table("churn_models")
