"""The outbox: one row per message, from the moment the gate permitted it to its end at the provider."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.contact_policy.models import MESSAGE_CLASSES, SOURCE_KINDS
from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

# queued: waiting for ``not_before`` (quiet hours) and ``next_attempt_at`` (a retry's backoff);
# sending: an attempt is recorded and the provider is being asked — if the worker dies here the message is
#   in doubt, never sent again blindly;
# sent: the provider took it; delivered / failed: its end as the provider reported it;
# cancelled: the gate stopped it at dispatch (consent withdrawn, self-exclusion, cap…), or a filed call
#   before an operator made it (call_list/recheck.py);
# in_doubt: a worker died while the provider was being asked and no answer was recorded.
MESSAGE_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "cancelled", "in_doubt")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_due", "status", "channel", "next_attempt_at"),
        Index("ix_messages_player", "player_id", "created_at"),
        Index("ix_messages_provider", "channel", "provider_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("players.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    message_class: Mapped[str] = mapped_column(choice("message_class", MESSAGE_CLASSES))
    # The contact point the gate permitted (phone, e-mail, device) and the transport's address for it (the
    # same, except for a web push subscription).
    contact_point: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(Text)
    template_version_id: Mapped[int | None] = mapped_column(BigInteger)
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(choice("message_status", MESSAGE_STATUSES), default="queued")
    not_before: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(300))
    source_kind: Mapped[str] = mapped_column(choice("contact_source_kind", SOURCE_KINDS))
    source_id: Mapped[str | None] = mapped_column(String(100))
    # A producer's key for "this message once" (a campaign and a player): queueing it again does nothing.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    policy_version: Mapped[int] = mapped_column(Integer)
    consent_event_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # When the latest attempt was recorded, before the provider was asked: a message still "sending" long
    # after it belongs to a worker that died.
    attempted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WebPushSubscription(Base):
    """A browser's push subscription (RFC 8030), registered by the website for a signed-in player.

    ``device`` is the player's "device" identity for it (``webpush:`` and a digest of the endpoint): the gate
    sees one contact point per subscription and the dispatcher finds the subscription by it. ``gone_at``:
    the push service answered 404/410, the browser dropped it.
    """

    __tablename__ = "webpush_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    player_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("players.id", ondelete="CASCADE"), index=True
    )
    device: Mapped[str] = mapped_column(String(60), unique=True)
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    gone_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class EarlyReceipt(Base):
    """A delivery receipt that arrived before its message's provider id was recorded (``receipts.py``)."""

    __tablename__ = "early_receipts"
    __table_args__ = (Index("ix_early_receipts_provider", "channel", "provider_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    provider_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
