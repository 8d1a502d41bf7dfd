"""analytics: player_analytics, the analytical record per player and as-of date

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-22 18:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "player_analytics",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("region", sa.String(length=10), nullable=True),
        sa.Column("days_since_registration", sa.Integer(), nullable=False),
        sa.Column("first_purchase_on", sa.Date(), nullable=True),
        sa.Column("second_purchase_on", sa.Date(), nullable=True),
        sa.Column("last_purchase_on", sa.Date(), nullable=True),
        sa.Column("recency_days", sa.Integer(), nullable=True),
        sa.Column("tenure_days", sa.Integer(), nullable=True),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("tickets", sa.BigInteger(), nullable=False),
        sa.Column("monetary_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("average_check_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("interval_mean_days", sa.Float(), nullable=True),
        sa.Column("interval_std_days", sa.Float(), nullable=True),
        sa.Column("spend_30d_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("spend_90d_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("spend_trend_30d", sa.Float(), nullable=True),
        sa.Column("spend_trend_90d", sa.Float(), nullable=True),
        sa.Column("favourite_game_id", sa.Integer(), nullable=True),
        sa.Column("favourite_game_share", sa.Float(), nullable=True),
        sa.Column("draw_share", sa.Float(), nullable=True),
        sa.Column("main_channel", sa.String(length=20), nullable=True),
        sa.Column("main_channel_share", sa.Float(), nullable=True),
        sa.Column("wins_count", sa.Integer(), nullable=False),
        sa.Column("wins_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("last_win_on", sa.Date(), nullable=True),
        sa.Column("biggest_win_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("segment", sa.String(length=30), nullable=False),
        sa.Column("r_level", sa.SmallInteger(), nullable=True),
        sa.Column("f_level", sa.SmallInteger(), nullable=True),
        sa.Column("m_level", sa.SmallInteger(), nullable=True),
        sa.PrimaryKeyConstraint("as_of", "player_id", name=op.f("pk_player_analytics")),
    )
    op.create_index(
        "ix_player_analytics_player_id_as_of", "player_analytics", ["player_id", "as_of"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_player_analytics_player_id_as_of", table_name="player_analytics")
    op.drop_table("player_analytics")
