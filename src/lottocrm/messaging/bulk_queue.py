"""Queueing a large audience's templated messages in the database: INSERT … SELECT into the outbox and the
contact history, no Python object per message.

``permitted`` is the gate's own selection of who may be reached now (``audience.released_now`` of the
contact policy) joined by the caller with what each player is sent: ``player_id``, ``contact_point``,
``consent_event_id``, ``template_version_id``, ``variant`` and ``dedupe_key``. The rows are those
:func:`service.queue_templated` would write for the same permits (a test holds the two paths equal); players
held by quiet hours go through that function instead, since each needs its own release moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    Select,
    String,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.db.base import UtcDateTime
from lottocrm.messaging.models import Message
from lottocrm.messaging.service import TO_RENDER, VARIANT, check_versions

_OUTBOX = Message.__table__
_HISTORY = ContactHistory.__table__
_MESSAGE_COLUMNS = (
    "player_id",
    "channel",
    "message_class",
    "contact_point",
    "address",
    "template_version_id",
    "body",
    "headers",
    "status",
    "next_attempt_at",
    "attempts",
    "source_kind",
    "source_id",
    "dedupe_key",
    "policy_version",
    "consent_event_id",
    "created_at",
    "extra",
)
_HISTORY_COLUMNS = [
    "at",
    "player_id",
    "channel",
    "message_class",
    "outcome",
    "reason",
    "detail",
    "contact_point",
    "source_kind",
    "source_id",
    "message_id",
    "policy_version",
    "consent_event_id",
]
_QUEUED_COLUMNS = (
    "id",
    "created_at",
    "player_id",
    "channel",
    "message_class",
    "contact_point",
    "source_kind",
    "source_id",
    "policy_version",
    "consent_event_id",
)


def _extra(variant: Any, variants: Sequence[str]) -> Any:
    """The row's ``extra``: marked to render, with the variant when there is one. Each a bound JSON value, so
    each database stores it as its JSON column does (a CAST to JSON means a number to SQLite)."""
    return case(
        *((variant == name, literal({TO_RENDER: True, VARIANT: name}, JSON)) for name in variants),
        else_=literal({TO_RENDER: True}, JSON),
    )


def queue_templated_rows(
    session: Session,
    *,
    permitted: Select[Any],
    channel: str,
    message_class: str,
    versions: list[int],
    variants: Sequence[str],
    source_kind: str,
    source_id: str,
    policy_version: int,
    at: dt.datetime | None = None,
) -> int:
    """Queue one templated message per row of ``permitted`` whose dedupe key was not queued before; how many.
    Each gets a "permitted" row in the contact history. ``versions``: every template version the rows name,
    checked as ``queue_templated`` checks them (published, of the class, speaking on the channel);
    ``variants``: the A/B variant names the rows may carry."""
    moment = at or clock.now()
    check_versions(session, [(version, channel, message_class) for version in versions])
    rows = permitted.subquery("permitted")
    fresh = select(
        rows.c.player_id,
        literal(channel, String).label("channel"),
        literal(message_class, String).label("message_class"),
        rows.c.contact_point,
        rows.c.contact_point.label("address"),
        rows.c.template_version_id,
        literal("", String).label("body"),
        literal({}, JSON).label("headers"),
        literal("queued", String).label("status"),
        literal(moment, UtcDateTime()).label("next_attempt_at"),
        literal(0, Integer).label("attempts"),
        literal(source_kind, String).label("source_kind"),
        literal(source_id, String).label("source_id"),
        rows.c.dedupe_key,
        literal(policy_version, Integer).label("policy_version"),
        rows.c.consent_event_id,
        literal(moment, UtcDateTime()).label("created_at"),
        _extra(rows.c.variant, variants).label("extra"),
    ).where(~exists().where(_OUTBOX.c.dedupe_key == rows.c.dedupe_key))
    # In player order, so the outbox's and the history's player indexes grow at their ends, not at random.
    fresh = fresh.order_by(rows.c.player_id)
    outbox = insert(_OUTBOX).from_select(list(_MESSAGE_COLUMNS), fresh)
    if session.get_bind().dialect.name == "postgresql":
        # One statement: the history reads the rows the insert returns, not the outbox again (and counts
        # only this statement's rows, whatever else is being queued at the same moment).
        returned = outbox.returning(*(_OUTBOX.c[name] for name in _QUEUED_COLUMNS)).cte("queued")
        history = insert(_HISTORY).from_select(_HISTORY_COLUMNS, _history_rows(returned)).cte("history")
        return int(session.scalar(select(func.count()).select_from(returned).add_cte(history)) or 0)
    # SQLite has no INSERT in a WITH; its writers take turns, so the new rows are those above the highest id.
    before = session.scalar(select(func.coalesce(func.max(_OUTBOX.c.id), 0)))
    session.execute(outbox)
    queued = _OUTBOX.alias("queued")
    new = and_(
        queued.c.id > before,
        queued.c.source_kind == source_kind,
        queued.c.source_id == source_id,
        queued.c.created_at == literal(moment, UtcDateTime()),
    )
    session.execute(insert(_HISTORY).from_select(_HISTORY_COLUMNS, _history_rows(queued).where(new)))
    return int(session.scalar(select(func.count()).select_from(queued).where(new)) or 0)


def _history_rows(queued: Any) -> Select[Any]:
    """A "permitted" contact-history row for each queued message."""
    return select(
        queued.c.created_at,
        queued.c.player_id,
        queued.c.channel,
        queued.c.message_class,
        literal("permitted", String),
        null(),
        null(),
        queued.c.contact_point,
        queued.c.source_kind,
        queued.c.source_id,
        queued.c.id,
        queued.c.policy_version,
        queued.c.consent_event_id,
    )
