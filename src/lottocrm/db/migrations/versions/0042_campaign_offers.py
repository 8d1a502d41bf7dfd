"""marketing: campaign offers — promo codes per treated member, bonus points credited to responders

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 15:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _member_keys(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["campaign_runs.id"],
            name=op.f(f"fk_{table}_run_id_campaign_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f(f"fk_{table}_player_id_players"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "player_id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "campaign_promo_codes",
        *_member_keys("campaign_promo_codes"),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.UniqueConstraint("code", name=op.f("uq_campaign_promo_codes_code")),
    )
    op.create_table(
        "campaign_offer_credits",
        *_member_keys("campaign_offer_credits"),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("value_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("credited_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("campaign_offer_credits")
    op.drop_table("campaign_promo_codes")
