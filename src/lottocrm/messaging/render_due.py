"""Rendering at dispatch: the text of messages queued by ``service.queue_templated``, made when the gate has
let them leave and they are claimed.

Per claimed batch: one read of the players' variables (``templates/context.py``), one compiled version per
version id (``templates.service.renderer_for``; compiled texts are cached across batches), and for each
message only its channel's bodies (the SMS text; the e-mail's subject, text and HTML; the push's title and
body) with its own unsubscribe link, signed for the message's real id. The claim stores the text on the row,
so what was sent can be shown again and a retry sends the same words.

A message that cannot be rendered fails alone and says why (``last_error``, and a "render_failed" reason
in the contact history): a variable the template names but the store did not give, a sandbox refusal, a
render limit, an SMS over ``LOTTOCRM_SMS_MAX_PARTS``, a text that came out empty, a version that cannot
be used. Its batch goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lottocrm import domains
from lottocrm.contact_policy.reasons import Reason
from lottocrm.errors import ServiceError
from lottocrm.messaging import unsubscribe
from lottocrm.messaging.models import Message
from lottocrm.messaging.service import CHANNEL_FIELDS, TO_RENDER
from lottocrm.messaging.sms_text import sms_parts
from lottocrm.messaging.templates.context import player_variables
from lottocrm.messaging.templates.errors import Problem, RenderFailed
from lottocrm.messaging.templates.render import CompiledVersion
from lottocrm.messaging.templates.service import renderer_for
from lottocrm.messaging.templates.settings import TemplateSettings
from lottocrm.settings import Settings, get_settings

# The outbox keeps a subject (an e-mail's, a push's title) in this many characters.
MAX_SUBJECT = Message.__table__.c.subject.type.length

# Why a render failed, in words a page translates (the contact history's reason detail).
WHY = {
    "undefined": "the template names a value that was not given",
    "sandbox": "the sandbox refused the template",
    "limit": "the template went over a render limit",
    "render": "the template failed while rendering",
    "sms_too_long": "the SMS is too long",
    "empty": "the text came out empty",
    "subject_too_long": "the subject is too long",
    "version": "the template version cannot be used",
    "player": "the player's details could not be read",
}


@dataclass(frozen=True)
class Text:
    """A rendered message, as the outbox row keeps it."""

    body: str
    subject: str | None = None
    html: str | None = None


@dataclass(frozen=True)
class Failure:
    """A message that could not be rendered: the reason for the history, the error for the row."""

    reason: Reason
    error: str


def to_render(message: Any) -> bool:
    """Whether a due row (with ``extra`` and ``template_version_id``) waits for its text."""
    return bool((message.extra or {}).get(TO_RENDER)) and message.template_version_id is not None


def render_due(
    session: Session, messages: Sequence[Any], *, at: dt.datetime, settings: Settings | None = None
) -> dict[int, Text | Failure]:
    """Each message's text or why it has none, by message id. ``messages`` are rows with the message's id,
    player_id, channel, message_class and template_version_id, and what the domains' message values read
    (source_kind, dedupe_key)."""
    if not messages:
        return {}
    config = settings or get_settings()
    max_parts = TemplateSettings.from_environment().sms_max_parts
    variables = player_variables(session, {m.player_id for m in messages}, at=at)
    own = _message_values(session, messages)
    renderers: dict[int, CompiledVersion | Failure] = {}
    results: dict[int, Text | Failure] = {}
    for message in messages:
        version_id = message.template_version_id
        if version_id not in renderers:
            renderers[version_id] = _renderer(session, version_id)
        renderer = renderers[version_id]
        player = variables.get(message.player_id)
        if isinstance(renderer, Failure):
            results[message.id] = renderer
        elif player is None:
            results[message.id] = _failure("player", f"player {message.player_id} not found")
        else:
            values = {**player, **own[message.id]} if message.id in own else player
            results[message.id] = _render(renderer, message, values, config, max_parts)
    return results


def _message_values(session: Session, messages: Sequence[Any]) -> dict[int, dict[str, object]]:
    """Variables that belong to one message (a campaign's promo code), from the domains that provide them;
    a message none provides for has none, so a template naming one fails loudly instead of showing nothing."""
    found: dict[int, dict[str, object]] = {}
    for provider in domains.message_value_providers():
        for message_id, values in provider(session, messages).items():
            found.setdefault(message_id, {}).update(values)
    return found


def _renderer(session: Session, version_id: int) -> CompiledVersion | Failure:
    try:
        return renderer_for(session, version_id=version_id)
    except ServiceError as exc:  # not published, gone, or its text no longer compiles under the limits
        return _failure("version", f"template version {version_id}: {exc}")


def _render(
    renderer: CompiledVersion, message: Any, player: dict[str, object], settings: Settings, max_parts: int
) -> Text | Failure:
    fields = CHANNEL_FIELDS.get(message.channel)
    if fields is None:
        return _failure("version", f"templates do not speak on the {message.channel} channel")
    link = unsubscribe.link(
        settings, player_id=message.player_id, channel=message.channel, message_id=message.id
    )
    try:
        rendered = renderer.render(
            {**player, "unsubscribe_url": link}, only={name for name in fields if name is not None}
        )
    except RenderFailed as exc:
        return _problem(exc.problem)
    body_field, subject_field, html_field = fields
    body = getattr(rendered, body_field) or ""
    if not body.strip():
        return _failure("empty", f"{body_field}: the text is empty for this player")
    if (
        message.channel == "sms"
        and not _surely_fits(body, max_parts)
        and (parts := sms_parts(body).parts) > max_parts
    ):
        return _failure(
            "sms_too_long",
            f"sms_text: {parts} parts, the limit is {max_parts}",
            parts=parts,
            limit=max_parts,
        )
    subject = getattr(rendered, subject_field) if subject_field else None
    if subject is not None and len(subject) > MAX_SUBJECT:
        return _failure(
            "subject_too_long", f"{subject_field}: {len(subject)} characters, the limit is {MAX_SUBJECT}"
        )
    return Text(body=body, subject=subject, html=getattr(rendered, html_field) if html_field else None)


def _surely_fits(text: str, max_parts: int) -> bool:
    # No character takes more than two units (a UTF-16 surrogate pair, a GSM-7 escape) and no part holds
    # fewer than 67 (UCS-2 in a long SMS): a text this short is within the limit without being measured,
    # which a campaign's SMS nearly always is.
    return 2 * len(text) <= 67 * max_parts


def _problem(problem: Problem) -> Failure:
    kind = problem.code if problem.code in WHY else "render"
    return _failure(kind, str(problem), line=problem.line)


def _failure(kind: str, error: str, **detail: object) -> Failure:
    return Failure(
        reason=Reason.of("render_failed", why=WHY[kind], **detail),
        error=f"render_failed: {error}"[:300],
    )
