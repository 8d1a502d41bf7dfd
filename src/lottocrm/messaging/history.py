"""A contact-history row about a message already in the outbox (a receipt, a bounce, an unsubscribe): the
message row carries everything its permit recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from lottocrm.contact_policy.models import ContactHistory
from lottocrm.contact_policy.reasons import Reason
from lottocrm.messaging.models import Message

# What a history row copies from its message (a Message, or a row selected with these columns).
MESSAGE_FIELDS = (
    "player_id",
    "channel",
    "message_class",
    "contact_point",
    "source_kind",
    "source_id",
    "policy_version",
    "consent_event_id",
)


def history_row(
    message: Any, outcome: str, *, at: dt.datetime, reason: Reason | None = None
) -> dict[str, Any]:
    """The history's values for ``message`` (anything with the message's id and ``MESSAGE_FIELDS``)."""
    return {
        "at": at,
        "outcome": outcome,
        "reason": reason.code if reason else None,
        "detail": reason.detail if reason else None,
        "message_id": message.id,
        **{name: getattr(message, name) for name in MESSAGE_FIELDS},
    }


def record_for_message(
    session: Session, message: Message, outcome: str, *, at: dt.datetime, reason: Reason | None = None
) -> None:
    session.add(ContactHistory(**history_row(message, outcome, at=at, reason=reason)))
