"""player_events: events from the website and app, and the dead letters of those refused

Revision ID: 0070
Revises: 0001
Create Date: 2026-12-07 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0070"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TYPES = (
    "registration",
    "sign_in",
    "page_view",
    "game_view",
    "deposit",
    "ticket_purchase",
    "banner_impression",
    "banner_click",
)
CHANNELS = ("website", "app")


def _choice(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values))
    )


def upgrade() -> None:
    op.create_table(
        "player_events",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("type", _choice("player_event_type", TYPES), nullable=False),
        sa.Column("channel", _choice("player_event_channel", CHANNELS), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "player_id", sa.BigInteger(), sa.ForeignKey("players.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("claimed_player_id", sa.BigInteger(), nullable=True),
        sa.Column("device_id", sa.String(128), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.UniqueConstraint("event_id", name=op.f("uq_player_events_event_id")),
    )
    op.create_index("ix_player_events_player_id_occurred_at", "player_events", ["player_id", "occurred_at"])
    op.create_index("ix_player_events_received_at", "player_events", ["received_at"])
    op.create_index("ix_player_events_claimed_player_id", "player_events", ["claimed_player_id"])
    op.create_index("ix_player_events_device_id", "player_events", ["device_id"])
    op.create_table(
        "player_event_dead_letters",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.Column("type", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
    )
    op.create_index("ix_player_event_dead_letters_received_at", "player_event_dead_letters", ["received_at"])


def downgrade() -> None:
    op.drop_table("player_event_dead_letters")
    op.drop_table("player_events")
