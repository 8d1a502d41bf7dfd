"""contact policy: policy versions, contact history, the cap ledger, unreachable contact points; responsible
gaming's return decision, time-out and limit-reached dates; service consents and two consent sources

Revision ID: 0019
Revises: 0001
Create Date: 2026-12-07 04:00:00.000000

- ``responsible_gaming`` gains ``returned_at`` (an expired self-exclusion stops marketing until the player's
  decision to return is recorded), ``timeout_until`` and ``limit_reached_until``.
- ``consent_events.purpose`` admits ``service`` (a player refusing service messages on a channel) and
  ``source`` admits ``unsubscribe_link`` and ``sms_reply``: the CHECK constraints are rebuilt (on SQLite by
  copying the table, which batch mode does).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_PURPOSES = ("personal_data", "advertising")
NEW_PURPOSES = (*OLD_PURPOSES, "service")
OLD_SOURCES = ("website", "app", "retail", "call_centre", "import", "partner")
NEW_SOURCES = (*OLD_SOURCES, "unsubscribe_link", "sms_reply")
MESSAGE_CLASSES = ("legal", "service", "marketing")
OUTCOMES = (
    "permitted",
    "blocked",
    "held",
    "control",
    "sent",
    "delivered",
    "failed",
    "bounced",
    "opened",
    "clicked",
    "unsubscribed",
)
SOURCE_KINDS = ("campaign", "journey", "case", "survey", "banner", "operator", "test", "system")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _choice(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values))
    )


def _consent_choices(purposes: tuple[str, ...], sources: tuple[str, ...]) -> None:
    with op.batch_alter_table("consent_events", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_consent_events_consent_purpose"), type_="check")
        batch_op.drop_constraint(op.f("ck_consent_events_consent_source"), type_="check")
        batch_op.alter_column("purpose", type_=sa.String(max(map(len, purposes))), existing_nullable=False)
        batch_op.alter_column("source", type_=sa.String(max(map(len, sources))), existing_nullable=False)
        batch_op.create_check_constraint("consent_purpose", sa.column("purpose").in_(purposes))
        batch_op.create_check_constraint("consent_source", sa.column("source").in_(sources))


def upgrade() -> None:
    with op.batch_alter_table("responsible_gaming", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("timeout_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("limit_reached_until", sa.Date(), nullable=True))
    _consent_choices(NEW_PURPOSES, NEW_SOURCES)

    op.create_table(
        "contact_policy_versions",
        sa.Column("id", ID, nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_policy_versions")),
    )
    op.create_table(
        "contact_history",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("message_class", _choice("message_class", MESSAGE_CLASSES), nullable=False),
        sa.Column("outcome", _choice("contact_outcome", OUTCOMES), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("contact_point", sa.String(length=254), nullable=True),
        sa.Column("source_kind", _choice("contact_source_kind", SOURCE_KINDS), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("consent_event_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_contact_history_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_history")),
    )
    op.create_index("ix_contact_history_player_at", "contact_history", ["player_id", "at"], unique=False)
    op.create_index("ix_contact_history_message", "contact_history", ["message_id"], unique=False)
    op.create_table(
        "contact_touches",
        sa.Column("id", ID, nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("contact_point", sa.String(length=254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_contact_touches_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_touches")),
        sa.UniqueConstraint("message_id", name=op.f("uq_contact_touches_message_id")),
    )
    op.create_index("ix_contact_touches_player_at", "contact_touches", ["player_id", "at"], unique=False)
    op.create_index("ix_contact_touches_point_at", "contact_touches", ["contact_point", "at"], unique=False)
    op.create_table(
        "contact_unreachable",
        sa.Column("contact_point", sa.String(length=254), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contact_point", "channel", name=op.f("pk_contact_unreachable")),
    )


def downgrade() -> None:
    op.drop_table("contact_unreachable")
    op.drop_index("ix_contact_touches_point_at", table_name="contact_touches")
    op.drop_index("ix_contact_touches_player_at", table_name="contact_touches")
    op.drop_table("contact_touches")
    op.drop_index("ix_contact_history_message", table_name="contact_history")
    op.drop_index("ix_contact_history_player_at", table_name="contact_history")
    op.drop_table("contact_history")
    op.drop_table("contact_policy_versions")
    # Consents recorded under the new purpose or sources have no place in the old schema, and consent
    # evidence is never deleted to make a downgrade fit.
    newer = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM consent_events "
            "WHERE purpose = 'service' OR source IN ('unsubscribe_link', 'sms_reply')"
        )
    )
    if newer:
        raise RuntimeError(
            f"cannot downgrade below 0019: {newer} consent events use the service purpose or the "
            "unsubscribe_link / sms_reply sources, which the older schema cannot hold"
        )
    _consent_choices(OLD_PURPOSES, OLD_SOURCES)
    with op.batch_alter_table("responsible_gaming", schema=None) as batch_op:
        batch_op.drop_column("limit_reached_until")
        batch_op.drop_column("timeout_until")
        batch_op.drop_column("returned_at")
