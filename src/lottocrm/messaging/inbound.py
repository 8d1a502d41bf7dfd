"""What providers and players send back: delivery receipts, an SMS "STOP", bounces, gone push
subscriptions. Each is applied in one transaction of the caller's (the dispatcher runs these off its
event loop, in a thread).

- A receipt ends a sent message as delivered or failed, in the outbox and the contact history.
- "STOP" from a phone withdraws SMS advertising for every player holding that phone, in the consent ledger
  (source ``sms_reply``), effective at once: the next dispatch of a queued message finds it withdrawn.
- A hard bounce or a gone subscription makes the address unreachable; a complaint withdraws e-mail
  advertising as a STOP would.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.contact_policy import ledger
from lottocrm.contact_policy.reasons import Reason
from lottocrm.messaging import push_subscriptions
from lottocrm.messaging.channels.base import Bounce, DeliveryReceipt, Inbound, InboundText, SubscriptionGone
from lottocrm.messaging.history import record_for_message
from lottocrm.messaging.models import Message
from lottocrm.messaging.receipts import apply_receipt
from lottocrm.messaging.sms_text import is_stop_request
from lottocrm.players.consents import record_consent
from lottocrm.players.contact_formats import phone_as_e164
from lottocrm.players.models import PlayerIdentity

INBOUND = Actor("job:messaging.inbound")
# The notice a withdrawal by reply stands on: the text of the message itself said how to stop.
REPLY_NOTICE = "reply-stop"


def _withdraw(session: Session, *, player_ids: list[int], channel: str, source: str, at: dt.datetime) -> None:
    for player_id in player_ids:
        record_consent(
            session,
            actor=INBOUND,
            player_id=player_id,
            purpose="advertising",
            channel=channel,
            granted=False,
            source=source,
            notice_version=REPLY_NOTICE,
            occurred_at=at,
        )


def apply(session: Session, event: Inbound, *, channel: str, at: dt.datetime | None = None) -> None:
    """Apply one inbound event of ``channel``'s transport."""
    moment = at or clock.now()
    if isinstance(event, DeliveryReceipt):
        apply_receipt(session, channel=channel, provider_id=event.provider_id, status=event.status, at=moment)
    elif isinstance(event, InboundText):
        if not is_stop_request(event.text):
            return
        phone = phone_as_e164(event.sender) or event.sender
        holders = list(
            session.scalars(
                select(PlayerIdentity.player_id).where(
                    PlayerIdentity.kind == "phone", PlayerIdentity.value == phone
                )
            )
        )
        _withdraw(session, player_ids=holders, channel="sms", source="sms_reply", at=moment)
    elif isinstance(event, Bounce):
        message = session.get(Message, event.message_id) if event.message_id else None
        if event.bounce_class == "hard":
            ledger.mark_unreachable(
                session,
                actor=INBOUND,
                channel="email",
                contact_point=event.recipient,
                reason="hard_bounce",
                at=moment,
            )
        if event.bounce_class == "complaint":
            holders = list(
                session.scalars(
                    select(PlayerIdentity.player_id).where(
                        PlayerIdentity.kind == "email", PlayerIdentity.value == event.recipient.lower()
                    )
                )
            )
            _withdraw(session, player_ids=holders, channel="email", source="unsubscribe_link", at=moment)
        if message is not None:
            if event.bounce_class != "complaint":
                message.status, message.finished_at = "failed", moment
            bounced = Reason.of("provider_refused", why=event.bounce_class)
            record_for_message(session, message, "bounced", at=moment, reason=bounced)
    elif isinstance(event, SubscriptionGone):
        # The gate knows the device, the transport only its address: a browser's subscription names its
        # device by its endpoint; an app's token is the device itself.
        point = push_subscriptions.device_of(event.address) or event.address
        if push_subscriptions.is_webpush_point(point):
            push_subscriptions.mark_gone(session, device=point, at=moment)
        ledger.mark_unreachable(
            session,
            actor=INBOUND,
            channel="push",
            contact_point=point,
            reason="gone",
            at=moment,
        )
