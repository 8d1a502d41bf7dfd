"""Queueing messages: ``queue_messages`` puts permitted messages in the outbox in the caller's transaction,
so a campaign's selection, its messages and their contact-history rows commit together or not at all.

``queue_templated`` queues a template version's messages to be rendered at dispatch (``render_due.py``):
a campaign of 700 000 players is 700 000 rows, not 700 000 renders before the first one leaves. Such a row
has an empty body and ``extra["to_render"]`` until the dispatcher renders it; a flag in ``extra`` rather
than a column, because only the claim reads it (once per row, in Python, never in a WHERE), so a migration
and a second way to spell "queued" in every query would buy nothing.

Only a :class:`~lottocrm.contact_policy.permits.Permit` opens the outbox: the gate has already decided, and
the dispatcher asks it again when the message is due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.contact_policy import ledger
from lottocrm.contact_policy.permits import Permit
from lottocrm.errors import ServiceError, Term
from lottocrm.messaging.models import Message
from lottocrm.messaging.templates.models import MessageTemplate, MessageTemplateVersion

# The marker of a row to be rendered at dispatch (in ``Message.extra``) and where its A/B variant is kept.
TO_RENDER = "to_render"
VARIANT = "variant"
# A channel's bodies of a template version, as the message's (body, subject, html); without the first the
# version says nothing on that channel. Calls have no template: an operator speaks.
CHANNEL_FIELDS: dict[str, tuple[str, str | None, str | None]] = {
    "sms": ("sms_text", None, None),
    "email": ("email_text", "email_subject", "email_html"),
    "push": ("push_body", "push_title", None),
}
CHANNEL_BODY = {channel: fields[0] for channel, fields in CHANNEL_FIELDS.items()}
# Dedupe keys looked up per statement: far below SQLite's and PostgreSQL's limits on bound values.
KEYS_PER_STATEMENT = 5_000


class MessagingError(ServiceError):
    code = "invalid_message"


@dataclass(frozen=True)
class Content:
    """A rendered message: what the channel carries."""

    body: str
    subject: str | None = None
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    template_version_id: int | None = None


@dataclass(frozen=True)
class Outgoing:
    permit: Permit
    content: Content
    # The transport's address when it is not the contact point itself (a web push subscription).
    address: str | None = None
    dedupe_key: str | None = None


def queue_messages(
    session: Session, items: Sequence[Outgoing], *, at: dt.datetime | None = None
) -> list[int | None]:
    """Queue each permitted message; its id, or None where its dedupe key was queued before. Records
    "permitted" (or "held" until quiet hours end) in the contact history."""
    moment = at or clock.now()
    for item in items:
        if not isinstance(item.permit, Permit):
            raise MessagingError("a message needs a permit from the contact policy")
        if not item.content.body.strip():
            raise MessagingError("a message needs a body")
    known = queued_keys(session, [item.dedupe_key for item in items if item.dedupe_key])
    fresh = [item for item in items if not item.dedupe_key or item.dedupe_key not in known]
    rows = [
        {
            "player_id": item.permit.player_id,
            "channel": item.permit.channel,
            "message_class": item.permit.message_class,
            "contact_point": item.permit.contact_point,
            "address": item.address or item.permit.contact_point,
            "template_version_id": item.content.template_version_id,
            "subject": item.content.subject,
            "body": item.content.body,
            "html": item.content.html,
            "headers": item.content.headers,
            "status": "queued",
            "not_before": item.permit.not_before,
            "next_attempt_at": item.permit.not_before or moment,
            "attempts": 0,
            "source_kind": item.permit.source_kind,
            "source_id": item.permit.source_id,
            "dedupe_key": item.dedupe_key,
            "policy_version": item.permit.policy_version,
            "consent_event_id": item.permit.consent_event_id,
            "created_at": moment,
            "extra": {},
        }
        for item in fresh
    ]
    ids = insert_outbox(session, rows)
    ledger.record(
        session,
        [
            ledger.Outcome(
                "held" if item.permit.not_before else "permitted", permit=item.permit, message_id=message_id
            )
            for item, message_id in zip(fresh, ids, strict=True)
        ],
        at=moment,
    )
    by_item = {id(item): message_id for item, message_id in zip(fresh, ids, strict=True)}
    return [by_item.get(id(item)) for item in items]


def queued_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the outbox holds already, asked in chunks a statement's bound values can carry."""
    wanted = list(dict.fromkeys(keys))
    known: set[str] = set()
    for first in range(0, len(wanted), KEYS_PER_STATEMENT):
        chunk = wanted[first : first + KEYS_PER_STATEMENT]
        known.update(session.scalars(select(Message.dedupe_key).where(Message.dedupe_key.in_(chunk))))
    return known


def insert_outbox(session: Session, rows: list[dict[str, object]]) -> list[int]:
    """Insert the rows in one statement sent once; their ids, in order.

    The ids are taken first and the rows sent as a plain executemany (Core, no per-row mapping): an INSERT …
    RETURNING that must give the ids back in order is sent row by row on SQLite and as multi-row VALUES
    statements on PostgreSQL, several times slower for thousands of rows in our measurements
    (``bench/dispatch_bench.py --templated`` queues 5 000 a call).
    """
    if not rows:
        return []
    outbox = Message.__table__
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.scalars(
                select(func.nextval(func.pg_get_serial_sequence("messages", "id"))).select_from(
                    func.generate_series(1, len(rows))
                )
            )
        )
    else:
        # SQLite: our transactions begin IMMEDIATE (db/engine.py), so no other writer inserts between this
        # read and the insert; one that did without it would fail on the primary key, not share an id.
        top = session.scalar(select(func.max(outbox.c.id))) or 0
        ids = list(range(top + 1, top + 1 + len(rows)))
    session.execute(insert(outbox), [{**row, "id": key} for row, key in zip(rows, ids, strict=True)])
    return ids


@dataclass(frozen=True)
class Templated:
    """A permitted message whose text is rendered from ``template_version_id`` when it is dispatched."""

    permit: Permit
    template_version_id: int
    dedupe_key: str | None
    # The campaign's content variant (A/B), kept on the message for its results.
    variant: str | None = None


def queue_templated(
    session: Session, items: Sequence[Templated], *, at: dt.datetime | None = None
) -> list[int | None]:
    """Queue each permitted message to be rendered at dispatch; its id, or None where its dedupe key was
    queued before (or earlier in ``items``). One INSERT for all of them; "permitted" (or "held" until quiet
    hours end) in the contact history, as :func:`queue_messages`. Refused whole, nothing written, when a
    version is not published, is of another class than the permit, or has no body for the channel."""
    moment = at or clock.now()
    for item in items:
        if not isinstance(item.permit, Permit):
            raise MessagingError("a message needs a permit from the contact policy")
    check_versions(
        session,
        [(item.template_version_id, item.permit.channel, item.permit.message_class) for item in items],
    )
    known = queued_keys(session, [item.dedupe_key for item in items if item.dedupe_key])
    fresh: list[int] = []
    for index, item in enumerate(items):
        if item.dedupe_key:
            if item.dedupe_key in known:
                continue
            known.add(item.dedupe_key)
        fresh.append(index)
    ids = insert_outbox(session, [_templated_row(items[index], moment) for index in fresh])
    ledger.record(
        session,
        [
            ledger.Outcome(
                "held" if items[index].permit.not_before else "permitted",
                permit=items[index].permit,
                message_id=message_id,
            )
            for index, message_id in zip(fresh, ids, strict=True)
        ],
        at=moment,
    )
    by_index = dict(zip(fresh, ids, strict=True))
    return [by_index.get(index) for index in range(len(items))]


def _templated_row(item: Templated, moment: dt.datetime) -> dict[str, object]:
    permit = item.permit
    return {
        "player_id": permit.player_id,
        "channel": permit.channel,
        "message_class": permit.message_class,
        "contact_point": permit.contact_point,
        "address": permit.contact_point,
        "template_version_id": item.template_version_id,
        "subject": None,
        "body": "",
        "html": None,
        "headers": {},
        "status": "queued",
        "not_before": permit.not_before,
        "next_attempt_at": permit.not_before or moment,
        "attempts": 0,
        "source_kind": permit.source_kind,
        "source_id": permit.source_id,
        "dedupe_key": item.dedupe_key,
        "policy_version": permit.policy_version,
        "consent_event_id": permit.consent_event_id,
        "created_at": moment,
        "extra": {TO_RENDER: True, VARIANT: item.variant} if item.variant else {TO_RENDER: True},
    }


def check_versions(session: Session, shapes: Sequence[tuple[int, str, str]]) -> None:
    """Every (version, channel, message class) named: the version is published, of that class and speaks on
    that channel. One read of the few versions a call names."""
    wanted = {version_id for version_id, _channel, _class in shapes}
    if not wanted:
        return
    versions = {
        row.id: row
        for row in session.execute(
            select(
                MessageTemplateVersion.id,
                MessageTemplateVersion.published_at,
                MessageTemplate.code,
                MessageTemplate.message_class,
                *(getattr(MessageTemplateVersion, body) for body in CHANNEL_BODY.values()),
            )
            .join(MessageTemplate, MessageTemplate.id == MessageTemplateVersion.template_id)
            .where(MessageTemplateVersion.id.in_(wanted))
        )
    }
    for version_id, channel, message_class in set(shapes):
        version = versions.get(version_id)
        if version is None:
            raise MessagingError("template version %(version_id)s does not exist", version_id=version_id)
        if version.published_at is None:
            raise MessagingError(
                "template version %(version_id)s of %(code)r is a draft: messages are rendered only from "
                "a published version",
                version_id=version.id,
                code=version.code,
            )
        if version.message_class != message_class:
            raise MessagingError(
                "template %(code)r is for %(template_class)s messages, the permit for %(permit_class)s",
                code=version.code,
                template_class=Term(version.message_class),
                permit_class=Term(message_class),
            )
        body = CHANNEL_BODY.get(channel)
        if body is None or not getattr(version, body):
            raise MessagingError(
                "template version %(version_id)s of %(code)r has no text for the %(channel)s channel",
                version_id=version.id,
                code=version.code,
                channel=Term(channel),
            )
