"""marketing: boost windows (more campaigns a day around an event, for the players interested in it)

Revision ID: 0046
Revises: 0041
Create Date: 2026-12-07 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0046"
down_revision = "0041"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "campaign_boost_windows",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("extra_per_day", sa.Integer(), nullable=False),
        sa.Column("segment_id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_campaign_boost_windows_segment_id_segments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_boost_windows")),
    )
    op.create_index(
        op.f("ix_campaign_boost_windows_removed_at"), "campaign_boost_windows", ["removed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_boost_windows_removed_at"), table_name="campaign_boost_windows")
    op.drop_table("campaign_boost_windows")
