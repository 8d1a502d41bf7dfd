"""messaging: a call queue's name for people (the call list showed its code)

Revision ID: 0031
Revises: 0025
Create Date: 2026-12-07 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0025"
branch_labels = None
depends_on = None

# The queue the dispatcher files calls in, and its name for people (messaging/call_list/queue.py).
DEFAULT_QUEUE, DEFAULT_LABEL = "outbound", "Исходящие звонки"


def upgrade() -> None:
    with op.batch_alter_table("call_queues") as batch:
        batch.add_column(sa.Column("label", sa.String(length=100), nullable=True))
    # The default queue's row, if calls were filed: its name for people. A queue with no row yet gets it when
    # its first call is filed (queue.py).
    queues = sa.table("call_queues", sa.column("name", sa.String), sa.column("label", sa.String))
    op.execute(queues.update().where(queues.c.name == DEFAULT_QUEUE).values(label=DEFAULT_LABEL))


def downgrade() -> None:
    with op.batch_alter_table("call_queues") as batch:
        batch.drop_column("label")
