"""auth: the approver role (campaigns need a second person above the four-eyes threshold)

Revision ID: 0045
Revises: 0017
Create Date: 2026-12-07 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0017"
branch_labels = None
depends_on = None

OLD = ("operator", "supervisor", "marketer", "analyst", "admin")
NEW = ("operator", "supervisor", "marketer", "approver", "analyst", "admin")


def _roles(roles: tuple[str, ...]) -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_user_role"), type_="check")
        batch_op.alter_column("role", type_=sa.String(max(map(len, roles))), existing_nullable=False)
        batch_op.create_check_constraint("user_role", sa.column("role").in_(roles))


def upgrade() -> None:
    _roles(NEW)


def downgrade() -> None:
    op.execute(sa.text("UPDATE users SET role = 'marketer' WHERE role = 'approver'"))
    _roles(OLD)
