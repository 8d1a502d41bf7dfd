"""Templates for the editor and the dispatcher: create, draft, publish, archive, preview, render.

Every function takes the caller's Session and never commits (the caller owns the transaction); changes
leave an audit row in that transaction (``message_template.create``, ``.update``, ``.save_draft``,
``.publish``, ``.archive``).

The dispatcher renders with :func:`renderer_for` (a compiled, cached published version) and stores the
version's id with each message; the editor shows :func:`preview` for a few sample players, with each SMS's
parts, alphabet and cost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.errors import Term
from lottocrm.messaging.sms_text import sms_parts
from lottocrm.messaging.templates.errors import (
    MessageClassFixed,
    Problem,
    RenderFailed,
    TemplateCodeTaken,
    TemplateError,
    TemplateNotFound,
    VersionFrozen,
    VersionNotFound,
    VersionNotPublished,
)
from lottocrm.messaging.templates.filters import money
from lottocrm.messaging.templates.models import MESSAGE_CLASSES, MessageTemplate, MessageTemplateVersion
from lottocrm.messaging.templates.render import (
    BODY_FIELDS,
    Bodies,
    CompiledVersion,
    RenderedMessage,
    compile_version,
)
from lottocrm.messaging.templates.settings import TemplateSettings
from lottocrm.messaging.templates.validation import validated

CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,59}$")
MAX_NAME = 200
# The editor previews a handful of sample players; more is a mistake (or a way to make the server render).
MAX_PREVIEW_PLAYERS = 50


class TemplateInputError(TemplateError):
    code = "template_input_invalid"
    http_status = 400


@dataclass(frozen=True)
class SavedDraft:
    version: MessageTemplateVersion
    # Findings that do not stop a save (emoji in an SMS): the editor shows them beside the draft.
    warnings: list[Problem]


@dataclass(frozen=True)
class SmsCost:
    encoding: str
    units: int
    parts: int
    per_part: int
    chars_left: int
    cost_kopecks: int
    cost: str
    # More parts than LOTTOCRM_SMS_MAX_PARTS: this player's SMS would be refused at sending.
    too_long: bool


@dataclass(frozen=True)
class PlayerPreview:
    """One sample player's message, or the problem that stopped it (``message`` then None)."""

    message: RenderedMessage | None
    sms: SmsCost | None
    error: Problem | None


# ---- templates ------------------------------------------------------------------------------------------
def create_template(
    session: Session, *, actor: Actor, code: str, name: str, message_class: str
) -> MessageTemplate:
    code = _checked_code(code)
    name = _checked_name(name)
    if message_class not in MESSAGE_CLASSES:
        raise TemplateInputError(
            "message class %(given)r: choose one of %(classes)s",
            given=message_class,
            classes=tuple(Term(c) for c in MESSAGE_CLASSES),
        )
    if session.scalar(select(MessageTemplate.id).where(MessageTemplate.code == code)) is not None:
        raise TemplateCodeTaken("a template with the code %(code)r already exists", code=code)
    template = MessageTemplate(
        code=code, name=name, message_class=message_class, created_at=clock.now(), created_by=actor.name
    )
    session.add(template)
    session.flush()
    record(
        session,
        actor=actor,
        action="message_template.create",
        detail={"template_id": template.id, "code": code, "message_class": message_class},
    )
    return template


def update_template(
    session: Session, *, actor: Actor, template_id: int, name: str, message_class: str | None = None
) -> MessageTemplate:
    """Rename a template. Its class is fixed: naming another one is refused, not ignored."""
    template = _template(session, template_id)
    if message_class is not None and message_class != template.message_class:
        raise MessageClassFixed(
            "template %(code)r is %(current)s and stays so: the class decides which consent its messages "
            "need; create a new template instead",
            code=template.code,
            current=Term(template.message_class),
        )
    previous, template.name = template.name, _checked_name(name)
    session.flush()
    record(
        session,
        actor=actor,
        action="message_template.update",
        detail={"template_id": template.id, "code": template.code, "name": [previous, template.name]},
    )
    return template


def find_template(session: Session, *, code: str) -> MessageTemplate:
    template = session.scalar(select(MessageTemplate).where(MessageTemplate.code == code))
    if template is None:
        raise TemplateNotFound("no message template has the code %(code)r", code=code)
    return template


def list_templates(session: Session) -> list[MessageTemplate]:
    return list(session.scalars(select(MessageTemplate).order_by(MessageTemplate.code)))


def list_versions(session: Session, *, template_id: int) -> list[MessageTemplateVersion]:
    """A template's versions, newest first."""
    _template(session, template_id)
    return list(
        session.scalars(
            select(MessageTemplateVersion)
            .where(MessageTemplateVersion.template_id == template_id)
            .order_by(MessageTemplateVersion.number.desc())
        )
    )


def published_version(session: Session, *, template_id: int) -> MessageTemplateVersion | None:
    """The version new messages of the template are rendered from (None: nothing published)."""
    return session.scalar(
        select(MessageTemplateVersion).where(
            MessageTemplateVersion.template_id == template_id, MessageTemplateVersion.status == "published"
        )
    )


# ---- versions -------------------------------------------------------------------------------------------
def save_draft(
    session: Session, *, actor: Actor, template_id: int, bodies: Bodies, version_id: int | None = None
) -> SavedDraft:
    """A new draft (``version_id`` None) or new text for a draft, refused with every problem found."""
    template = _template(session, template_id, lock=True)
    warnings = validated(
        bodies, message_class=template.message_class, settings=TemplateSettings.from_environment()
    )
    if version_id is None:
        number = session.scalar(
            select(func.coalesce(func.max(MessageTemplateVersion.number), 0)).where(
                MessageTemplateVersion.template_id == template.id
            )
        )
        version = MessageTemplateVersion(
            template_id=template.id,
            number=number + 1,
            status="draft",
            created_at=clock.now(),
            created_by=actor.name,
        )
        session.add(version)
    else:
        version = _version(session, version_id)
        if version.template_id != template.id:
            raise VersionNotFound(
                "version %(version_id)s is not a version of template %(code)r",
                version_id=version_id,
                code=template.code,
            )
        _require_draft(version, template)
    for name, value in _columns(bodies).items():
        setattr(version, name, value)
    session.flush()
    record(
        session,
        actor=actor,
        action="message_template.save_draft",
        detail={**_described(template, version), "warnings": [str(w) for w in warnings]},
    )
    return SavedDraft(version=version, warnings=warnings)


def publish_version(session: Session, *, actor: Actor, version_id: int) -> MessageTemplateVersion:
    """Make a draft the version new messages use; the one published before is archived."""
    version = _version(session, version_id)
    template = _template(session, version.template_id, lock=True)
    _require_draft(version, template)
    # Checked again: the rules (and the template's class) are the publish-time ones.
    validated(
        bodies_of(version), message_class=template.message_class, settings=TemplateSettings.from_environment()
    )
    previous = published_version(session, template_id=template.id)
    if previous is not None:
        previous.status = "archived"
        # Flushed apart, so the one-published-version index never sees two at once.
        session.flush()
    version.status = "published"
    version.published_at = clock.now()
    version.published_by = actor.name
    session.flush()
    detail = _described(template, version)
    if previous is not None:
        detail["archived_version"] = previous.number
    record(session, actor=actor, action="message_template.publish", detail=detail)
    return version


def archive_version(session: Session, *, actor: Actor, version_id: int) -> MessageTemplateVersion:
    """Retire a version: a published one stops being used for new messages (already queued ones still
    render from it), a draft is set aside."""
    version = _version(session, version_id)
    template = _template(session, version.template_id, lock=True)
    if version.status == "archived":
        raise VersionFrozen(
            "version %(number)s of %(code)r is already archived", number=version.number, code=template.code
        )
    version.status = "archived"
    session.flush()
    record(session, actor=actor, action="message_template.archive", detail=_described(template, version))
    return version


def bodies_of(version: MessageTemplateVersion) -> Bodies:
    return Bodies(**{name: getattr(version, name) for name in BODY_FIELDS})


# ---- rendering ------------------------------------------------------------------------------------------
def renderer_for(session: Session, *, version_id: int) -> CompiledVersion:
    """The compiled version messages are rendered from: one that was published (it may have been
    archived since, for messages queued before). Compiled once and cached."""
    version = _version(session, version_id)
    if version.published_at is None:
        raise VersionNotPublished(
            "version %(number)s is a draft: messages are rendered only from a published version",
            number=version.number,
        )
    return compile_version(bodies_of(version))


def preview(
    session: Session, *, version_id: int, players: Sequence[Mapping[str, object]]
) -> list[PlayerPreview]:
    """Each sample player's message from any version (drafts too), with the SMS's parts and cost."""
    return preview_bodies(bodies_of(_version(session, version_id)), players=players)


def preview_bodies(bodies: Bodies, *, players: Sequence[Mapping[str, object]]) -> list[PlayerPreview]:
    """:func:`preview` of text not saved yet (the editor's "Preview" button): nothing is written, and a
    syntax error is :class:`TemplateInvalid` with every problem, as a save would report it."""
    if len(players) > MAX_PREVIEW_PLAYERS:
        raise TemplateInputError(
            "a preview shows at most %(limit)s players, not %(count)s",
            limit=MAX_PREVIEW_PLAYERS,
            count=len(players),
        )
    compiled = compile_version(bodies)
    settings = TemplateSettings.from_environment()
    previews = []
    for variables in players:
        try:
            message = compiled.render(variables)
        except RenderFailed as exc:
            previews.append(PlayerPreview(message=None, sms=None, error=exc.problem))
            continue
        sms = _sms_cost(message.sms_text, settings) if message.sms_text is not None else None
        previews.append(PlayerPreview(message=message, sms=sms, error=None))
    return previews


def _sms_cost(text: str, settings: TemplateSettings) -> SmsCost:
    measured = sms_parts(text)
    cost = measured.parts * settings.sms_price_kopecks
    return SmsCost(
        encoding=measured.encoding,
        units=measured.units,
        parts=measured.parts,
        per_part=measured.per_part,
        chars_left=measured.chars_left,
        cost_kopecks=cost,
        cost=money(cost),
        too_long=measured.parts > settings.sms_max_parts,
    )


# ---- helpers --------------------------------------------------------------------------------------------
def _checked_code(code: str) -> str:
    cleaned = code.strip().lower()
    if not CODE.match(cleaned):
        raise TemplateInputError(
            "template code %(code)r: 1–60 latin letters, digits, '_', '-' or '.', starting with a letter or "
            "digit",
            code=code[:80],
        )
    return cleaned


def _checked_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise TemplateInputError("template name: 1–%(limit)s characters", limit=MAX_NAME)
    return cleaned


def _template(session: Session, template_id: int, *, lock: bool = False) -> MessageTemplate:
    template = session.get(MessageTemplate, template_id, with_for_update=lock or None)
    if template is None:
        raise TemplateNotFound("message template %(template_id)s does not exist", template_id=template_id)
    return template


def _version(session: Session, version_id: int) -> MessageTemplateVersion:
    version = session.get(MessageTemplateVersion, version_id)
    if version is None:
        raise VersionNotFound("template version %(version_id)s does not exist", version_id=version_id)
    return version


def _require_draft(version: MessageTemplateVersion, template: MessageTemplate) -> None:
    if version.status != "draft":
        raise VersionFrozen(
            "version %(number)s of %(code)r is %(status)s and can no longer change: save a new draft",
            number=version.number,
            code=template.code,
            status=Term(version.status),
        )


def _columns(bodies: Bodies) -> dict[str, str | None]:
    # An empty text is stored as none: the channel is not used.
    present = bodies.present()
    return {name: present.get(name) for name in BODY_FIELDS}


def _described(template: MessageTemplate, version: MessageTemplateVersion) -> dict[str, object]:
    return {
        "template_id": template.id,
        "code": template.code,
        "version": version.number,
        "version_id": version.id,
    }
