"""A contact-history row about a message already in the outbox (a receipt, a bounce, an unsubscribe): the
message row carries everything its permit recorded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lottocrm.contact_policy.models import ContactHistory
from lottocrm.contact_policy.reasons import Reason
from lottocrm.messaging.models import Message


def record_for_message(
    session: Session, message: Message, outcome: str, *, at: dt.datetime, reason: Reason | None = None
) -> None:
    session.add(
        ContactHistory(
            at=at,
            player_id=message.player_id,
            channel=message.channel,
            message_class=message.message_class,
            outcome=outcome,
            reason=reason.code if reason else None,
            detail=reason.detail if reason else None,
            contact_point=message.contact_point,
            source_kind=message.source_kind,
            source_id=message.source_id,
            message_id=message.id,
            policy_version=message.policy_version,
            consent_event_id=message.consent_event_id,
        )
    )
