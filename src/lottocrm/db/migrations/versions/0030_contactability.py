"""contact policy: the contactability row of each player, built for the players already there; cap exemptions

Revision ID: 0030
Revises: 0019
Create Date: 2026-12-07 07:00:00.000000
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0019"
branch_labels = None
depends_on = None

CHANNELS = ("sms", "email", "push", "call", "web")
SOURCE_KINDS = ("campaign", "journey", "case", "survey", "banner", "operator", "test", "system")


def _channel_columns(channel: str) -> list[sa.Column]:
    stamp = sa.DateTime(timezone=True)
    return [
        sa.Column(f"{channel}_consent_event", sa.BigInteger(), nullable=True),
        sa.Column(f"{channel}_consent_granted", sa.Boolean(), nullable=True),
        sa.Column(f"{channel}_consent_at", stamp, nullable=True),
        sa.Column(f"{channel}_service_event", sa.BigInteger(), nullable=True),
        sa.Column(f"{channel}_service_granted", sa.Boolean(), nullable=True),
        sa.Column(f"{channel}_service_at", stamp, nullable=True),
        sa.Column(f"{channel}_unreachable", sa.String(length=40), nullable=True),
        sa.Column(f"{channel}_unreachable_since", stamp, nullable=True),
        sa.Column(f"{channel}_cap_ends", stamp, nullable=True),
        sa.Column(f"{channel}_marketing_from", stamp, nullable=False),
    ]


def upgrade() -> None:
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "contactability",
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", stamp, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("region", sa.String(length=10), nullable=True),
        sa.Column("under_age", sa.Boolean(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("adult_from", stamp, nullable=True),
        sa.Column("self_excluded_until", sa.Date(), nullable=True),
        sa.Column("returned_at", stamp, nullable=True),
        sa.Column("timeout_until", stamp, nullable=True),
        sa.Column("limit_reached_until", sa.Date(), nullable=True),
        sa.Column("personal_data_event", sa.BigInteger(), nullable=True),
        sa.Column("personal_data_granted", sa.Boolean(), nullable=True),
        sa.Column("personal_data_at", stamp, nullable=True),
        sa.Column("phone", sa.String(length=254), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("device", sa.String(length=254), nullable=True),
        *[column for channel in CHANNELS for column in _channel_columns(channel)],
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_contactability_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_contactability")),
    )
    for channel in CHANNELS:
        op.create_index(
            f"ix_contactability_{channel}_marketing",
            "contactability",
            [f"{channel}_marketing_from", "adult_from"],
            unique=False,
        )
    op.create_table(
        "contact_cap_exemptions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "source_kind",
            sa.Enum(
                *SOURCE_KINDS, name="contact_source_kind", native_enum=False, create_constraint=True, length=8
            ),
            nullable=False,
        ),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column("granted_at", stamp, nullable=False),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.Column("revoked_at", stamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_cap_exemptions")),
    )
    op.create_index(
        "ix_contact_cap_exemptions_source",
        "contact_cap_exemptions",
        ["source_kind", "source_id"],
        unique=False,
    )
    _build_rows()


def _build_rows() -> None:
    """The rows of the players already in the store, computed by the domain's own code."""
    from lottocrm.contact_policy import standing
    from lottocrm.contact_policy.document import DEFAULT_POLICY, PolicySettings

    bind = op.get_bind()
    saved = bind.execute(
        sa.text("SELECT settings FROM contact_policy_versions ORDER BY id DESC LIMIT 1")
    ).first()
    if saved is None:
        policy = DEFAULT_POLICY
    else:
        settings = json.loads(saved[0]) if isinstance(saved[0], str) else saved[0]
        policy = PolicySettings.model_validate(settings)
    standing.rebuild(bind, policy=policy)


def downgrade() -> None:
    op.drop_index("ix_contact_cap_exemptions_source", table_name="contact_cap_exemptions")
    op.drop_table("contact_cap_exemptions")
    for channel in CHANNELS:
        op.drop_index(f"ix_contactability_{channel}_marketing", table_name="contactability")
    op.drop_table("contactability")
