"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 17:16:40.322913
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "games",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("draw", "instant", name="game_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("ticket_price_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_games")),
        sa.UniqueConstraint("code", name=op.f("uq_games_code")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.String(length=500), nullable=False),
        sa.Column("rows_loaded", sa.BigInteger(), nullable=False),
        sa.Column("rows_quarantined", sa.BigInteger(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("kind", "content_sha256", name=op.f("uq_import_batches_kind_content_sha256")),
    )
    op.create_table(
        "players",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("search_name", sa.String(length=310), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column(
            "gender",
            sa.Enum("M", "F", name="gender", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("region", sa.String(length=10), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "registration_channel",
            sa.Enum(
                "website",
                "app",
                "retail",
                "call_centre",
                "partner",
                name="registration_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("age_verified", sa.Boolean(), nullable=False),
        sa.Column("under_age", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active", "blocked", "closed", name="player_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_players")),
    )
    with op.batch_alter_table("players", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_players_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_players_search_name"), ["search_name"], unique=False)

    op.create_table(
        "points_of_sale",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "retail_kiosk",
                "post_office",
                "website",
                "app",
                "partner",
                name="sales_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("region", sa.String(length=10), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_of_sale")),
        sa.UniqueConstraint("code", name=op.f("uq_points_of_sale_code")),
    )
    op.create_table(
        "consent_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "personal_data",
                "advertising",
                name="consent_purpose",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "sms",
                "email",
                "push",
                "call",
                "web",
                name="consent_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "website",
                "app",
                "retail",
                "call_centre",
                "import",
                "partner",
                name="consent_source",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("notice_version", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_consent_events_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_events_player_id_purpose_channel_occurred_at"),
            ["player_id", "purpose", "channel", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "draws",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("draw_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("jackpot_kopecks", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "closed",
                "drawn",
                "cancelled",
                name="draw_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["game_id"], ["games.id"], name=op.f("fk_draws_game_id_games")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draws")),
        sa.UniqueConstraint("game_id", "number", name=op.f("uq_draws_game_id_number")),
    )
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draws_draw_at"), ["draw_at"], unique=False)

    op.create_table(
        "player_identities",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "phone",
                "email",
                "card",
                "device",
                name="identity_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=254), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_player_identities_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_identities")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_player_identities_kind_value")),
    )
    with op.batch_alter_table("player_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_player_identities_player_id"), ["player_id"], unique=False)

    op.create_table(
        "responsible_gaming",
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("self_excluded_until", sa.Date(), nullable=True),
        sa.Column("monthly_spend_limit_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_responsible_gaming_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_responsible_gaming")),
    )
    with op.batch_alter_table("responsible_gaming", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_responsible_gaming_self_excluded_until"), ["self_excluded_until"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("responsible_gaming", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responsible_gaming_self_excluded_until"))

    op.drop_table("responsible_gaming")
    with op.batch_alter_table("player_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_player_identities_player_id"))

    op.drop_table("player_identities")
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draws_draw_at"))

    op.drop_table("draws")
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_events_player_id_purpose_channel_occurred_at"))

    op.drop_table("consent_events")
    op.drop_table("points_of_sale")
    with op.batch_alter_table("players", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_players_search_name"))
        batch_op.drop_index(batch_op.f("ix_players_region"))

    op.drop_table("players")
    op.drop_table("import_batches")
    op.drop_table("games")
