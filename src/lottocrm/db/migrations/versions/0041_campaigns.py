"""marketing: campaigns, their runs (one per occurrence) and members (treated or control)

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 13:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def _choice(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", _choice("campaign_kind", "one_off", "recurring", "imported"), nullable=False),
        sa.Column(
            "status",
            _choice(
                "campaign_status", "draft", "approved", "scheduled", "running", "paused", "done", "cancelled"
            ),
            nullable=False,
        ),
        sa.Column("segment_id", BIG_ID, nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("approved_at", MOMENT, nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_audience", sa.Integer(), nullable=True),
        sa.Column("next_run_at", MOMENT, nullable=True),
        sa.Column("ended_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_campaigns_segment_id_segments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_next_run_at"), "campaigns", ["next_run_at"], unique=False)
    op.create_table(
        "campaign_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("occurrence", sa.String(length=40), nullable=False),
        sa.Column(
            "status", _choice("campaign_run_status", "selecting", "queued", "done", "failed"), nullable=False
        ),
        sa.Column("started_at", MOMENT, nullable=False),
        sa.Column("finished_at", MOMENT, nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_runs_campaign_id_campaigns"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_runs")),
        sa.UniqueConstraint(
            "campaign_id", "occurrence", name=op.f("uq_campaign_runs_campaign_id_occurrence")
        ),
    )
    op.create_index(op.f("ix_campaign_runs_campaign_id"), "campaign_runs", ["campaign_id"], unique=False)
    op.create_table(
        "campaign_members",
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("arm", _choice("campaign_arm", "treatment", "control"), nullable=False),
        sa.Column("variant", sa.String(length=40), nullable=True),
        sa.Column("stratum", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("assigned_at", MOMENT, nullable=False),
        sa.Column("responded", sa.Boolean(), nullable=True),
        sa.Column("revenue_kopecks", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["campaign_runs.id"],
            name=op.f("fk_campaign_members_run_id_campaign_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_campaign_members_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "player_id", name=op.f("pk_campaign_members")),
    )
    op.create_index(
        "ix_campaign_members_player", "campaign_members", ["player_id", "assigned_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_members_player", table_name="campaign_members")
    op.drop_table("campaign_members")
    op.drop_index(op.f("ix_campaign_runs_campaign_id"), table_name="campaign_runs")
    op.drop_table("campaign_runs")
    op.drop_index(op.f("ix_campaigns_next_run_at"), table_name="campaigns")
    op.drop_table("campaigns")
