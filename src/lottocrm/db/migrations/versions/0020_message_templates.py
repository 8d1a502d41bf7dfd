"""messaging: message templates and their versions (one published at a time)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 05:00:00.000000

``message_templates``: code, name, and the message class fixed at creation. ``message_template_versions``:
numbered versions with a body per channel, draft → published → archived; a partial unique index allows one
published version per template (SQLite and PostgreSQL both have partial indexes).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ONE_PUBLISHED = "status = 'published'"


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "message_class",
            sa.Enum(
                "legal",
                "service",
                "marketing",
                name="message_class",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("code", name=op.f("uq_message_templates_code")),
    )
    op.create_table(
        "message_template_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("template_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sms_text", sa.Text(), nullable=True),
        sa.Column("email_subject", sa.Text(), nullable=True),
        sa.Column("email_text", sa.Text(), nullable=True),
        sa.Column("email_html", sa.Text(), nullable=True),
        sa.Column("push_title", sa.Text(), nullable=True),
        sa.Column("push_body", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "archived",
                name="template_version_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["message_templates.id"],
            name=op.f("fk_message_template_versions_template_id_message_templates"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_template_versions")),
        sa.UniqueConstraint(
            "template_id", "number", name=op.f("uq_message_template_versions_template_id_number")
        ),
    )
    op.create_index(
        "uq_message_template_versions_one_published",
        "message_template_versions",
        ["template_id"],
        unique=True,
        sqlite_where=sa.text(ONE_PUBLISHED),
        postgresql_where=sa.text(ONE_PUBLISHED),
    )


def downgrade() -> None:
    op.drop_index("uq_message_template_versions_one_published", table_name="message_template_versions")
    op.drop_table("message_template_versions")
    op.drop_table("message_templates")
