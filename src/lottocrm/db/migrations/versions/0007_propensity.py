"""propensity: top game propensities, next game to offer, propensity runs, player clusters and profiles

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-22 20:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "player_game_propensity",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("rank", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("played_before", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "player_id", "rank", name=op.f("pk_player_game_propensity")),
    )
    op.create_index(
        "ix_player_game_propensity_player_id_as_of",
        "player_game_propensity",
        ["player_id", "as_of"],
        unique=False,
    )
    op.create_table(
        "player_next_game",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("rank", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("propensity", sa.Float(), nullable=False),
        sa.Column("lift", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "player_id", "rank", name=op.f("pk_player_next_game")),
    )
    op.create_index(
        "ix_player_next_game_player_id_as_of", "player_next_game", ["player_id", "as_of"], unique=False
    )
    op.create_table(
        "propensity_runs",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("train_as_of", sa.Date(), nullable=False),
        sa.Column("holdout_as_of", sa.Date(), nullable=False),
        sa.Column("auc", sa.Float(), nullable=True),
        sa.Column("baseline_auc", sa.Float(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("players", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_propensity_runs")),
    )
    op.create_table(
        "player_clusters",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("cluster", sa.SmallInteger(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "player_id", name=op.f("pk_player_clusters")),
    )
    op.create_index(
        "ix_player_clusters_player_id_as_of", "player_clusters", ["player_id", "as_of"], unique=False
    )
    op.create_table(
        "cluster_profiles",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("cluster", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("players", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("means", sa.JSON(), nullable=False),
        sa.Column("bic_by_k", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "cluster", name=op.f("pk_cluster_profiles")),
    )


def downgrade() -> None:
    op.drop_table("cluster_profiles")
    op.drop_index("ix_player_clusters_player_id_as_of", table_name="player_clusters")
    op.drop_table("player_clusters")
    op.drop_table("propensity_runs")
    op.drop_index("ix_player_next_game_player_id_as_of", table_name="player_next_game")
    op.drop_table("player_next_game")
    op.drop_index("ix_player_game_propensity_player_id_as_of", table_name="player_game_propensity")
    op.drop_table("player_game_propensity")
