"""contact centre: teams and queues, interactions, cases with states and history, SLA policies

The lottery's starting vocabulary is seeded with Russian labels (what operators read): case states with their
flags, case types and categories, two teams with their hours, three queues with their wrap-up codes, and SLA
targets per type and priority. An operator edits them as data afterwards.

Revision ID: 0050
Revises: 0001
Create Date: 2026-12-07 12:08:31.744033
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0001"
branch_labels = None
depends_on = "0003"


def upgrade() -> None:
    op.create_table(
        "cc_case_states",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column(
            "state_type",
            sa.Enum(
                "new",
                "open",
                "pending_reminder",
                "pending_close",
                "solved",
                "closed",
                "merged",
                name="cc_state_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("pauses_sla", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cc_case_states")),
    )
    op.create_table(
        "cc_case_types",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cc_case_types")),
    )
    op.create_table(
        "cc_teams",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("production_calendar", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cc_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_cc_teams_code")),
    )
    op.create_table(
        "cc_case_categories",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_type", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_type"], ["cc_case_types.code"], name=op.f("fk_cc_case_categories_case_type_cc_case_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cc_case_categories")),
        sa.UniqueConstraint("case_type", "code", name=op.f("uq_cc_case_categories_case_type_code")),
    )
    op.create_table(
        "cc_queues",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["cc_teams.id"], name=op.f("fk_cc_queues_team_id_cc_teams")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cc_queues")),
    )
    op.create_table(
        "cc_sla_policies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_type", sa.String(length=40), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                name="cc_sla_priority",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("update_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("warn_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_type"], ["cc_case_types.code"], name=op.f("fk_cc_sla_policies_case_type_cc_case_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cc_sla_policies")),
        sa.UniqueConstraint("case_type", "priority", name=op.f("uq_cc_sla_policies_case_type_priority")),
    )
    op.create_table(
        "cc_team_members",
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("member", "supervisor", name="cc_member_role", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["cc_teams.id"], name=op.f("fk_cc_team_members_team_id_cc_teams")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_cc_team_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_cc_team_members")),
    )
    with op.batch_alter_table("cc_team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cc_team_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "cc_cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("case_type", sa.String(length=40), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                name="cc_priority",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("merged_into_id", sa.BigInteger(), nullable=True),
        sa.Column("reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("awaiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_policy_id", sa.BigInteger(), nullable=True),
        sa.Column("first_response_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("update_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_breached", sa.Boolean(), nullable=False),
        sa.Column("update_breached", sa.Boolean(), nullable=False),
        sa.Column("resolution_breached", sa.Boolean(), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_type"], ["cc_case_types.code"], name=op.f("fk_cc_cases_case_type_cc_case_types")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["cc_case_categories.id"],
            name=op.f("fk_cc_cases_category_id_cc_case_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["cc_cases.id"], name=op.f("fk_cc_cases_merged_into_id_cc_cases")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_cc_cases_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_cc_cases_player_id_players"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sla_policy_id"], ["cc_sla_policies.id"], name=op.f("fk_cc_cases_sla_policy_id_cc_sla_policies")
        ),
        sa.ForeignKeyConstraint(
            ["state"], ["cc_case_states.code"], name=op.f("fk_cc_cases_state_cc_case_states")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["cc_teams.id"], name=op.f("fk_cc_cases_team_id_cc_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cc_cases")),
    )
    with op.batch_alter_table("cc_cases", schema=None) as batch_op:
        batch_op.create_index("ix_cc_cases_next_due", ["next_due_at"], unique=False)
        batch_op.create_index("ix_cc_cases_player", ["player_id", "created_at"], unique=False)
        batch_op.create_index("ix_cc_cases_team_state", ["team_id", "state"], unique=False)

    op.create_table(
        "cc_wrap_codes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["queue"], ["cc_queues.code"], name=op.f("fk_cc_wrap_codes_queue_cc_queues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cc_wrap_codes")),
        sa.UniqueConstraint("queue", "code", name=op.f("uq_cc_wrap_codes_queue_code")),
    )
    op.create_table(
        "cc_case_links",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "ticket",
                "draw",
                "win",
                "payout",
                "loyalty_operation",
                name="cc_case_link",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("ref_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cc_cases.id"], name=op.f("fk_cc_case_links_case_id_cc_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "kind", "ref_id", name=op.f("pk_cc_case_links")),
    )
    op.create_table(
        "cc_case_state_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("from_state", sa.String(length=40), nullable=True),
        sa.Column("to_state", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cc_cases.id"],
            name=op.f("fk_cc_case_state_changes_case_id_cc_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cc_case_state_changes")),
    )
    with op.batch_alter_table("cc_case_state_changes", schema=None) as batch_op:
        batch_op.create_index("ix_cc_case_state_changes_case", ["case_id", "at"], unique=False)

    op.create_table(
        "cc_interactions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "call",
                "email",
                "chat",
                "messenger",
                "sms",
                "visit",
                name="cc_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "direction",
            sa.Enum("inbound", "outbound", name="cc_direction", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("talk_seconds", sa.Integer(), nullable=False),
        sa.Column("hold_seconds", sa.Integer(), nullable=False),
        sa.Column("acw_seconds", sa.Integer(), nullable=False),
        sa.Column("wrap_code", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recording_ref", sa.String(length=300), nullable=True),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cc_cases.id"], name=op.f("fk_cc_interactions_case_id_cc_cases")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_cc_interactions_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["queue"], ["cc_queues.code"], name=op.f("fk_cc_interactions_queue_cc_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cc_interactions")),
    )
    with op.batch_alter_table("cc_interactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cc_interactions_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_cc_interactions_operator", ["operator", "started_at"], unique=False)
        batch_op.create_index("ix_cc_interactions_player", ["player_id", "started_at"], unique=False)

    op.create_table(
        "cc_interaction_links",
        sa.Column("interaction_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "ticket", "draw", "win", name="cc_interaction_link", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("ref_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["cc_interactions.id"],
            name=op.f("fk_cc_interaction_links_interaction_id_cc_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interaction_id", "kind", "ref_id", name=op.f("pk_cc_interaction_links")),
    )
    _seed()


STATES = (
    ("new", "Новое", "new", False),
    ("open", "В работе", "open", False),
    ("pending_reminder", "Ожидает напоминания", "pending_reminder", True),
    ("pending_close", "Ожидает закрытия", "pending_close", True),
    ("solved", "Решено", "solved", True),
    ("closed", "Закрыто", "closed", True),
    ("merged", "Объединено", "merged", True),
)
CASE_TYPES = {
    "unpaid_prize": (
        "Невыплаченный выигрыш",
        {"retail": "Выигрыш в точке продаж", "online": "Выигрыш на сайте"},
    ),
    "payout_delayed": ("Задержка выплаты", {"bank": "Перевод на карту", "documents": "Документы на выплату"}),
    "ticket_not_registered": ("Билет не зарегистрирован", {}),
    "disputed_draw_result": ("Спор о результатах тиража", {}),
    "app_payment": ("Оплата в приложении", {"card": "Оплата картой", "sbp": "Оплата через СБП"}),
    "loyalty_points": ("Бонусные баллы", {}),
    "responsible_gaming": (
        "Ответственная игра",
        {"self_exclusion": "Самоисключение", "limit": "Лимит расходов"},
    ),
    "data_subject_request": ("Запрос о персональных данных", {}),
    "complaint": ("Жалоба", {"operator": "Работа оператора", "point_of_sale": "Точка продаж"}),
    "question": ("Вопрос", {}),
}
TEAMS = (
    # The contact centre works every day, holidays included; the payouts office keeps the production calendar.
    (
        "support",
        "Контакт-центр",
        {d: ["08:00-22:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        False,
    ),
    (
        "payouts",
        "Отдел выплат",
        {d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        True,
    ),
)
QUEUES = (
    ("general", "Общая линия", "support"),
    ("payouts", "Выплаты выигрышей", "payouts"),
    ("responsible_gaming", "Ответственная игра", "support"),
)
WRAP_CODES = {
    "general": (
        ("unpaid_prize", "Невыплаченный выигрыш"),
        ("ticket_not_registered", "Билет не зарегистрирован"),
        ("ticket_check", "Проверка билета"),
        ("draw_result", "Результаты тиража"),
        ("app_payment", "Оплата в приложении"),
        ("loyalty_points", "Бонусные баллы"),
        ("responsible_gaming", "Запрос по ответственной игре"),
        ("complaint", "Жалоба"),
        ("suggestion", "Предложение"),
        ("other", "Другое"),
    ),
    "payouts": (
        ("unpaid_prize", "Невыплаченный выигрыш"),
        ("payout_delayed", "Задержка выплаты"),
        ("payout_documents", "Документы для выплаты"),
        ("complaint", "Жалоба"),
        ("other", "Другое"),
    ),
    "responsible_gaming": (
        ("self_exclusion", "Самоисключение"),
        ("spending_limit", "Лимит расходов"),
        ("responsible_gaming", "Запрос по ответственной игре"),
        ("complaint", "Жалоба"),
        ("other", "Другое"),
    ),
}
# Minutes of business time: first response, next update, resolution.
TARGETS = {
    "urgent": (15, 60, 480),
    "high": (30, 120, 960),
    "normal": (60, 240, 2400),
    "low": (240, 480, 4800),
}


def _seed() -> None:
    now = dt.datetime.now(dt.UTC)
    table = sa.table
    col = sa.column
    op.bulk_insert(
        table("cc_case_states", col("code"), col("label"), col("state_type"), col("pauses_sla")),
        [dict(zip(("code", "label", "state_type", "pauses_sla"), row, strict=True)) for row in STATES],
    )
    op.bulk_insert(
        table("cc_case_types", col("code"), col("label")),
        [{"code": code, "label": label} for code, (label, _) in CASE_TYPES.items()],
    )
    op.bulk_insert(
        table("cc_case_categories", col("case_type"), col("code"), col("label")),
        [
            {"case_type": code, "code": category, "label": label}
            for code, (_, categories) in CASE_TYPES.items()
            for category, label in categories.items()
        ],
    )
    op.bulk_insert(
        table(
            "cc_teams",
            col("code"),
            col("name"),
            col("timezone"),
            col("hours", sa.JSON),
            col("production_calendar"),
            col("created_at", sa.DateTime(timezone=True)),
        ),
        [
            {
                "code": code,
                "name": name,
                "timezone": "Europe/Moscow",
                "hours": hours,
                "production_calendar": production,
                "created_at": now,
            }
            for code, name, hours, production in TEAMS
        ],
    )
    # Teams take their ids from the sequence (PostgreSQL's would not move past ids written by hand).
    for code, label, team in QUEUES:
        op.execute(
            sa.text(
                "INSERT INTO cc_queues (code, label, team_id) SELECT :code, :label, id FROM cc_teams "
                "WHERE code = :team"
            ).bindparams(code=code, label=label, team=team)
        )
    op.bulk_insert(
        table("cc_wrap_codes", col("queue"), col("code"), col("label"), col("active")),
        [
            {"queue": queue, "code": code, "label": label, "active": True}
            for queue, codes in WRAP_CODES.items()
            for code, label in codes
        ],
    )
    op.bulk_insert(
        table(
            "cc_sla_policies",
            col("case_type"),
            col("priority"),
            col("first_response_minutes"),
            col("update_minutes"),
            col("resolution_minutes"),
            col("warn_minutes"),
            col("created_at", sa.DateTime(timezone=True)),
        ),
        [
            {
                "case_type": case_type,
                "priority": priority,
                "first_response_minutes": first,
                "update_minutes": update,
                "resolution_minutes": resolution,
                "warn_minutes": 15,
                "created_at": now,
            }
            for case_type in CASE_TYPES
            for priority, (first, update, resolution) in TARGETS.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("cc_interaction_links")
    with op.batch_alter_table("cc_interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_cc_interactions_player")
        batch_op.drop_index("ix_cc_interactions_operator")
        batch_op.drop_index(batch_op.f("ix_cc_interactions_case_id"))

    op.drop_table("cc_interactions")
    with op.batch_alter_table("cc_case_state_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_cc_case_state_changes_case")

    op.drop_table("cc_case_state_changes")
    op.drop_table("cc_case_links")
    op.drop_table("cc_wrap_codes")
    with op.batch_alter_table("cc_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cc_cases_team_state")
        batch_op.drop_index("ix_cc_cases_player")
        batch_op.drop_index("ix_cc_cases_next_due")

    op.drop_table("cc_cases")
    with op.batch_alter_table("cc_team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cc_team_members_user_id"))

    op.drop_table("cc_team_members")
    op.drop_table("cc_sla_policies")
    op.drop_table("cc_queues")
    op.drop_table("cc_case_categories")
    op.drop_table("cc_teams")
    op.drop_table("cc_case_types")
    op.drop_table("cc_case_states")
