"""analytics: churn risk crossings with hysteresis (alerts per player, crossings per run, runs counted)

Revision ID: 0071
Revises: 0006
Create Date: 2026-12-07 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0071"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "churn_alerts",
        sa.Column("player_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("high", sa.Boolean(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
    )
    op.create_table(
        "churn_crossings",
        sa.Column("as_of", sa.Date(), primary_key=True),
        sa.Column("model_version", sa.String(64), primary_key=True),
        sa.Column("player_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column(
            "direction",
            sa.Enum(
                "entered",
                "left",
                name="churn_crossing_direction",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("probability", sa.Float(), nullable=False),
    )
    op.create_table(
        "churn_crossing_runs",
        sa.Column("as_of", sa.Date(), primary_key=True),
        sa.Column("model_version", sa.String(64), primary_key=True),
        sa.Column("enter_at", sa.Float(), nullable=False),
        sa.Column("leave_below", sa.Float(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("left", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("churn_crossing_runs")
    op.drop_table("churn_crossings")
    op.drop_table("churn_alerts")
