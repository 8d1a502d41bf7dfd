"""Message templates and their versions.

A template is a named message (``code`` for the code that sends it, ``name`` for people) of one class —
legal notice, service message or marketing — fixed when it is created, because the class decides which
consent the contact policy asks for: letting a marketing text become "service" would send advertising to
players who refused it.

Its text lives in versions, numbered 1, 2, 3… A version is a draft while it is written, then published,
then archived when a newer one is published (or the template is retired). Once published a version never
changes: the outbox stores the id of the version each message was rendered from, so what a player was sent
can always be shown again. At most one version of a template is published at a time (a partial unique
index, on both SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event, inspect, text
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

MESSAGE_CLASSES = ("legal", "service", "marketing")
VERSION_STATUSES = ("draft", "published", "archived")
BODY_COLUMNS = ("sms_text", "email_subject", "email_text", "email_html", "push_title", "push_body")


class MessageTemplate(Base):
    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # "welcome", "win_notice": what the sending code names; letters, digits, "_", "-" and ".".
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    message_class: Mapped[str] = mapped_column(choice("message_class", MESSAGE_CLASSES), active_history=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # "user:ivanova": the actor's name at the time, as in the audit log.
    created_by: Mapped[str] = mapped_column(String(100))


class MessageTemplateVersion(Base):
    __tablename__ = "message_template_versions"
    __table_args__ = (
        UniqueConstraint("template_id", "number"),
        Index(
            "uq_message_template_versions_one_published",
            "template_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("message_templates.id", ondelete="RESTRICT"), active_history=True
    )
    number: Mapped[int] = mapped_column(active_history=True)
    sms_text: Mapped[str | None] = mapped_column(Text, active_history=True)
    email_subject: Mapped[str | None] = mapped_column(Text, active_history=True)
    email_text: Mapped[str | None] = mapped_column(Text, active_history=True)
    email_html: Mapped[str | None] = mapped_column(Text, active_history=True)
    push_title: Mapped[str | None] = mapped_column(Text, active_history=True)
    push_body: Mapped[str | None] = mapped_column(Text, active_history=True)
    status: Mapped[str] = mapped_column(
        choice("template_version_status", VERSION_STATUSES), active_history=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    published_by: Mapped[str | None] = mapped_column(String(100))


# active_history on the guarded columns: the listeners below see the stored value even when the object was
# expired (after a commit) before the change.


@event.listens_for(MessageTemplate, "before_update")
def _class_is_fixed(_mapper: object, _connection: object, target: MessageTemplate) -> None:
    # The service refuses a change first, with a message for the person; this catches any other path.
    if inspect(target).attrs.message_class.history.deleted:
        raise ValueError(f"message template {target.code!r}: its class is fixed once created")


@event.listens_for(MessageTemplateVersion, "before_update")
def _published_text_is_frozen(_mapper: object, _connection: object, target: MessageTemplateVersion) -> None:
    state = inspect(target)
    status_history = state.attrs.status.history
    was = status_history.deleted[0] if status_history.deleted else target.status
    changed = [name for name in (*BODY_COLUMNS, "template_id", "number") if state.attrs[name].history.deleted]
    if was != "draft" and changed:
        raise ValueError(
            f"message template version {target.id} is {was}: its {', '.join(changed)} can no longer change"
        )
