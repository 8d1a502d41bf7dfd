"""propensity: the next game's reason stored as data (kind and detail) instead of an English sentence

Revision ID: 0013
Revises: 0007
Create Date: 2026-11-22 23:00:00.000000

The sentence is now rendered in the reader's language from the data. Rows stored before keep their kind
(a row with a lift was boosted by a rule) but not the rule's antecedent, which only the sentence held.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("player_next_game", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason_kind", sa.String(length=20), nullable=False, server_default="propensity")
        )
        batch_op.add_column(sa.Column("reason_detail", sa.JSON(), nullable=True))
    op.execute("UPDATE player_next_game SET reason_kind = 'rule' WHERE lift IS NOT NULL")
    with op.batch_alter_table("player_next_game", schema=None) as batch_op:
        batch_op.alter_column("reason_kind", server_default=None)
        batch_op.drop_column("reason")


def downgrade() -> None:
    with op.batch_alter_table("player_next_game", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=300), nullable=False, server_default=""))
    op.execute("UPDATE player_next_game SET reason = reason_kind")
    with op.batch_alter_table("player_next_game", schema=None) as batch_op:
        batch_op.alter_column("reason", server_default=None)
        batch_op.drop_column("reason_detail")
        batch_op.drop_column("reason_kind")
