"""web: contact history (removed and replaced phones and e-mails), shared login-failure counts, report cache

Revision ID: 0011
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0003"
branch_labels = None
depends_on = None


def _choice(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values))
    )


def upgrade() -> None:
    op.create_table(
        "player_identity_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", _choice("identity_kind", "phone", "email", "card", "device"), nullable=False),
        sa.Column("value", sa.String(length=254), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", _choice("identity_change", "removed", "replaced"), nullable=False),
        sa.Column("replaced_by", sa.String(length=254), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_player_identity_history_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_identity_history")),
    )
    op.create_index(op.f("ix_player_identity_history_player_id"), "player_identity_history", ["player_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_ip_occurred_at"), "login_failures", ["ip", "occurred_at"])
    op.create_index(op.f("ix_login_failures_occurred_at"), "login_failures", ["occurred_at"])
    op.create_table(
        "report_cache",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("input_key", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_report_cache")),
    )


def downgrade() -> None:
    op.drop_table("report_cache")
    op.drop_index(op.f("ix_login_failures_occurred_at"), table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_ip_occurred_at"), table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index(op.f("ix_player_identity_history_player_id"), table_name="player_identity_history")
    op.drop_table("player_identity_history")
