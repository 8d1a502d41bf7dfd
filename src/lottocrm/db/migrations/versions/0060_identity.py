"""identity: persons, their members, candidate pairs, the review queue and resolution runs

Revision ID: 0060
Revises: 0001
Create Date: 2026-12-07 13:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0060"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _choice(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values))
    )


def upgrade() -> None:
    op.create_table(
        "identity_runs",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("mode", _choice("identity_run_mode", "full", "incremental"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("certain", sa.Float(), nullable=False),
        sa.Column("probable", sa.Float(), nullable=False),
        sa.Column("max_size", sa.Integer(), nullable=False),
        sa.Column("min_density", sa.Float(), nullable=False),
        sa.Column("players_through", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("model", sa.Text(), nullable=True),
    )
    op.create_table(
        "identity_persons",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("status", _choice("identity_person_status", "active", "dissolved"), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_run_id", BigId, sa.ForeignKey("identity_runs.id"), nullable=False),
    )
    op.create_table(
        "identity_person_members",
        sa.Column(
            "player_id",
            sa.BigInteger(),
            sa.ForeignKey("players.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("person_id", sa.BigInteger(), sa.ForeignKey("identity_persons.id"), nullable=False),
        sa.Column("run_id", BigId, sa.ForeignKey("identity_runs.id"), nullable=False),
    )
    op.create_index("ix_identity_person_members_person_id", "identity_person_members", ["person_id"])
    op.create_table(
        "identity_candidate_pairs",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("run_id", BigId, sa.ForeignKey("identity_runs.id"), nullable=False),
        sa.Column(
            "player_a", sa.BigInteger(), sa.ForeignKey("players.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "player_b", sa.BigInteger(), sa.ForeignKey("players.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("band", _choice("identity_pair_band", "exact", "certain", "probable"), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.UniqueConstraint("player_a", "player_b"),
    )
    op.create_index("ix_identity_candidate_pairs_run_id", "identity_candidate_pairs", ["run_id"])
    op.create_index("ix_identity_candidate_pairs_player_b", "identity_candidate_pairs", ["player_b"])
    op.create_table(
        "identity_review_items",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("run_id", BigId, sa.ForeignKey("identity_runs.id"), nullable=False),
        sa.Column(
            "player_a", sa.BigInteger(), sa.ForeignKey("players.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "player_b", sa.BigInteger(), sa.ForeignKey("players.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("reason", _choice("identity_review_reason", "probable", "guard"), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            _choice("identity_review_status", "pending", "accepted", "rejected", "not_sure"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.UniqueConstraint("player_a", "player_b"),
    )
    op.create_index("ix_identity_review_items_status_id", "identity_review_items", ["status", "id"])
    op.create_index("ix_identity_review_items_player_b", "identity_review_items", ["player_b"])


def downgrade() -> None:
    for table in (
        "identity_review_items",
        "identity_candidate_pairs",
        "identity_person_members",
        "identity_persons",
        "identity_runs",
    ):
        op.drop_table(table)
