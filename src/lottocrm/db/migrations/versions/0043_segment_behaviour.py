"""marketing: staged lake aggregates (behaviour in a window, campaign responders) a segment's audience joins

Revision ID: 0043
Revises: 0041
Create Date: 2026-12-07 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segment_behaviour",
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("spec", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("tickets", sa.BigInteger(), nullable=False),
        sa.Column("spend_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("last_sold_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wins", sa.BigInteger(), nullable=False),
        sa.Column("wins_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("staged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("batch", "spec", "player_id", name=op.f("pk_segment_behaviour")),
    )
    op.create_index(op.f("ix_segment_behaviour_staged_at"), "segment_behaviour", ["staged_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_segment_behaviour_staged_at"), table_name="segment_behaviour")
    op.drop_table("segment_behaviour")
