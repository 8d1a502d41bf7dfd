"""Queueing messages: ``queue_messages`` puts permitted messages in the outbox in the caller's transaction,
so a campaign's selection, its messages and their contact-history rows commit together or not at all.

Only a :class:`~lottocrm.contact_policy.permits.Permit` opens the outbox: the gate has already decided, and
the dispatcher asks it again when the message is due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.contact_policy import ledger
from lottocrm.contact_policy.permits import Permit
from lottocrm.errors import ServiceError
from lottocrm.messaging.models import Message


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
    keys = [item.dedupe_key for item in items if item.dedupe_key]
    known = (
        set(session.scalars(select(Message.dedupe_key).where(Message.dedupe_key.in_(keys))))
        if keys
        else set()
    )
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
    ids = (
        list(session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True), rows))
        if rows
        else []
    )
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
