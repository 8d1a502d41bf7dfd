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
INSTANCE_STATUSES = ("waiting", "done", "goal", "ended")


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
        sa.Column("live_version_id", sa.BigInteger(), nullable=True),
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
    op.create_table(
        "journey_instances",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("journey_id", BigId, sa.ForeignKey("journeys.id", ondelete="RESTRICT"), nullable=False),
        sa.Column(
            "version_id", BigId, sa.ForeignKey("journey_versions.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column(
            "arm",
            sa.Enum(
                "treated", "control", name="journey_arm", native_enum=False, create_constraint=True, length=7
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                *INSTANCE_STATUSES,
                name="journey_instance_status",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("step", sa.String(40), nullable=True),
        sa.Column("wake_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_for", sa.String(40), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(40), nullable=True),
    )
    op.create_index(
        "uq_journey_instances_open",
        "journey_instances",
        ["journey_id", "key"],
        unique=True,
        sqlite_where=sa.text("status = 'waiting'"),
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_index("ix_journey_instances_status_wake_at", "journey_instances", ["status", "wake_at"])
    op.create_index("ix_journey_instances_player_id", "journey_instances", ["player_id"])
    op.create_table(
        "journey_visits",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "instance_id", BigId, sa.ForeignKey("journey_instances.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(60), nullable=False),
    )
    op.create_index("ix_journey_visits_instance_id", "journey_visits", ["instance_id"])
    op.create_table(
        "journey_cursors",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("journey_cursors")
    op.drop_table("journey_visits")
    op.drop_table("journey_instances")
    op.drop_table("journey_versions")
    op.drop_table("journeys")
