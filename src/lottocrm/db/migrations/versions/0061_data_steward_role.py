"""auth: the data steward role (works identity resolution's review queue)

Revision ID: 0061
Revises: 0060, 0045
Create Date: 2026-12-07 13:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0061"
# Also after 0045 (the approver role, campaigns): each change of the role check lists every role, so the two
# must run in this order.
down_revision = ("0060", "0045")
branch_labels = None
depends_on = None

BEFORE = ("operator", "supervisor", "marketer", "approver", "analyst", "admin")
AFTER = (*BEFORE, "data_steward")


def _roles(roles: tuple[str, ...]) -> None:
    # "auto": SQLite rebuilds the table, PostgreSQL alters it in place (sessions and keys point at it).
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_user_role"), type_="check")
        batch_op.alter_column("role", type_=sa.String(max(map(len, roles))), existing_nullable=False)
        batch_op.create_check_constraint("user_role", sa.column("role").in_(roles))


def upgrade() -> None:
    _roles(AFTER)


def downgrade() -> None:
    # Refused rather than losing accounts: their role must be changed first.
    stewards = (
        op.get_bind().execute(sa.text("SELECT count(*) FROM users WHERE role = 'data_steward'")).scalar()
    )
    if stewards:
        raise RuntimeError(
            f"{stewards} user(s) hold the data_steward role: give them another role before downgrading"
        )
    _roles(BEFORE)
