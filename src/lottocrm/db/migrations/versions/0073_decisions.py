"""decisions: banner placements with their default banner, and banner offers with budgets

Revision ID: 0073
Revises: 0001
Create Date: 2026-12-08 01:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0073"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def _choice(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values))
    )


def upgrade() -> None:
    op.create_table(
        "decision_placements",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("default_title", sa.String(200), nullable=False),
        sa.Column("default_text", sa.Text(), nullable=False),
        sa.Column("default_image_url", sa.String(2000), nullable=True),
        sa.Column("default_link_url", sa.String(2000), nullable=False),
        sa.Column("player_daily_cap", sa.Integer(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.UniqueConstraint("code", name=op.f("uq_decision_placements_code")),
    )
    op.create_table(
        "banner_offers",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "placement_id",
            BigId,
            sa.ForeignKey("decision_placements.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(2000), nullable=True),
        sa.Column("link_url", sa.String(2000), nullable=False),
        sa.Column(
            "audience", _choice("banner_offer_audience", ("everyone", "players", "anonymous")), nullable=False
        ),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("value_per_mille_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("weight_percent", sa.Integer(), nullable=False),
        sa.Column(
            "budget_unit", _choice("banner_offer_budget_unit", ("impressions", "kopecks")), nullable=False
        ),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("cost_per_impression", sa.Integer(), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.Column("player_daily_cap", sa.Integer(), nullable=False),
        sa.Column("starts_at", Moment, nullable=False),
        sa.Column("ends_at", Moment, nullable=False),
        sa.Column(
            "status", _choice("banner_offer_status", ("draft", "live", "paused", "ended")), nullable=False
        ),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
        sa.UniqueConstraint("code", name=op.f("uq_banner_offers_code")),
        sa.CheckConstraint("spent <= budget", name=op.f("ck_banner_offers_within_budget")),
    )
    op.create_index("ix_banner_offers_status", "banner_offers", ["status"])


def downgrade() -> None:
    op.drop_index("ix_banner_offers_status", table_name="banner_offers")
    op.drop_table("banner_offers")
    op.drop_table("decision_placements")
