"""messaging: the outbox of messages, from the gate's permit to the provider's last word

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-07 05:00:00.000000

``template_version_id`` names the published template version a message was rendered from; it carries no
foreign key, so this branch and the templates' (0020) stay independent of each other.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None

MESSAGE_CLASSES = ("legal", "service", "marketing")
SOURCE_KINDS = ("campaign", "journey", "case", "survey", "banner", "operator", "test", "system")
STATUSES = ("queued", "sending", "sent", "delivered", "failed", "cancelled", "in_doubt")


def _choice(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values))
    )


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("message_class", _choice("message_class", MESSAGE_CLASSES), nullable=False),
        sa.Column("contact_point", sa.String(length=254), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("template_version_id", sa.BigInteger(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("status", _choice("message_status", STATUSES), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("source_kind", _choice("contact_source_kind", SOURCE_KINDS), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("consent_event_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_messages_player_id_players"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_messages_dedupe_key")),
    )
    op.create_index("ix_messages_due", "messages", ["status", "channel", "next_attempt_at"], unique=False)
    op.create_index("ix_messages_player", "messages", ["player_id", "created_at"], unique=False)
    op.create_index("ix_messages_provider", "messages", ["channel", "provider_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_messages_provider", table_name="messages")
    op.drop_index("ix_messages_player", table_name="messages")
    op.drop_index("ix_messages_due", table_name="messages")
    op.drop_table("messages")
