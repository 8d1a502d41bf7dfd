"""clusters: cluster_profiles.traits, the micro-segment's name as data the 360 page translates

Revision ID: 0014
Revises: 0007
Create Date: 2026-11-22 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cluster_profiles") as batch:
        batch.add_column(sa.Column("traits", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cluster_profiles") as batch:
        batch.drop_column("traits")
