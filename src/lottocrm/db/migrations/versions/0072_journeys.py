"""marketing: journeys and their versions

Revision ID: 0072
Revises: 0001
Create Date: 2026-12-07 23:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0072"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUSES = ("draft", "live", "paused", "archived")


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="journey_status", native_enum=False, create_constraint=True, length=8),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("name", name=op.f("uq_journeys_name")),
    )
    op.create_table(
        "journey_versions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("journey_id", BigId, sa.ForeignKey("journeys.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("journey_id", "number", name=op.f("uq_journey_versions_journey_id_number")),
    )
    op.create_index("ix_journey_versions_journey_id", "journey_versions", ["journey_id"])


def downgrade() -> None:
    op.drop_table("journey_versions")
    op.drop_table("journeys")
