"""analytics: report_cache keyed by query document and source versions; player_analytics_writes

report_cache held one row per report name; it now holds one row per query document (reports take
parameters), with its kind and the Arrow result. It is a cache, so it is recreated empty.
player_analytics_writes logs each as-of date's latest write-back: the record's version.

On the branch that created report_cache (0011); player_analytics_writes refers to no other table.

Revision ID: 0017
Revises: 0011
Create Date: 2026-12-08 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("report_cache")
    op.create_table(
        "report_cache",
        sa.Column("query_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("input_key", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("query_key", name=op.f("pk_report_cache")),
    )
    op.create_index(op.f("ix_report_cache_kind"), "report_cache", ["kind"], unique=False)
    op.create_table(
        "player_analytics_writes",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("players", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_player_analytics_writes")),
    )


def downgrade() -> None:
    op.drop_table("player_analytics_writes")
    op.drop_index(op.f("ix_report_cache_kind"), table_name="report_cache")
    op.drop_table("report_cache")
    op.create_table(
        "report_cache",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("input_key", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_report_cache")),
    )
