"""events: event_deliveries, the record that a subscriber acted on an event (exactly-once effects)

Revision ID: 0016
Revises: 0002
Create Date: 2026-12-07 02:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_deliveries",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("subscriber", sa.String(length=100), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "subscriber", name=op.f("pk_event_deliveries")),
    )
    op.create_index(
        op.f("ix_event_deliveries_delivered_at"), "event_deliveries", ["delivered_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_event_deliveries_delivered_at"), table_name="event_deliveries")
    op.drop_table("event_deliveries")
