"""messaging: call tasks in operator queues, and the queues' daily capacity

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

TASK_STATUSES = ("open", "done", "cancelled")


def upgrade() -> None:
    op.create_table(
        "call_queues",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("daily_capacity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_call_queues")),
    )
    op.create_table(
        "call_tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("due_day", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *TASK_STATUSES, name="call_task_status", native_enum=False, create_constraint=True, length=9
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_call_tasks_player_id_players"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_tasks")),
        sa.UniqueConstraint("message_id", name=op.f("uq_call_tasks_message_id")),
    )
    op.create_index("ix_call_tasks_queue_day", "call_tasks", ["queue", "due_day", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_call_tasks_queue_day", table_name="call_tasks")
    op.drop_table("call_tasks")
    op.drop_table("call_queues")
