"""The one interface every channel's transport implements (after healthchecks' ``Transport.notify``).

A transport is asynchronous: it opens its connections (an SMPP bind, a pool of SMTP connections, an HTTP
client) once, sends many messages concurrently within its provider's limits, and reports each message's
fate as a :class:`SendResult`. What arrives later on its own (a delivery receipt, an SMS "STOP" from a
player, a bounce) is handed to the ``on_inbound`` callback the dispatcher gives it.

A transport never decides whether a message may go (that is the contact policy's job) and never writes to
the database (that is the dispatcher's): it only speaks its protocol.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

# How a channel's delivery ended, as providers report it. "accepted" is the provider's acknowledgement of
# a submission (SMPP submit_sm_resp, SMTP 250, push 201); the rest arrive later, if at all.
DeliveryStatus = Literal["delivered", "failed", "expired", "rejected", "unknown"]
BounceClass = Literal["soft", "hard", "complaint"]


@dataclass(frozen=True)
class OutgoingMessage:
    """One rendered message for one recipient address.

    ``message_id`` is the outbox row's id: transports put it where the provider echoes it back (an SMTP
    ``Message-ID`` header, an SMPP ``user_message_reference``) so a receipt can be matched even when the
    provider's own id is lost with a killed worker.
    """

    message_id: int
    channel: str
    to: str
    body: str
    subject: str | None = None
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)


class TransportError(Exception):
    """A message the provider did not take.

    ``permanent``: sending it again cannot succeed (an unknown number, a 5xx SMTP reply, a 410 push
    subscription); otherwise the dispatcher retries with backoff, not before ``retry_after`` seconds when
    the provider said so. ``reason`` is a short stable code (``throttled``, ``hard_bounce``, ``gone``,
    ``rejected``, ``connection``, ``invalid_address``…) that the contact history records.
    """

    def __init__(
        self, message: str, *, permanent: bool, reason: str, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class SendResult:
    """The provider's answer to one message: its id at the provider, or the error."""

    message_id: int
    provider_id: str | None = None
    error: TransportError | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class DeliveryReceipt:
    """The provider's later word on a message it accepted (an SMPP delivery receipt)."""

    provider_id: str
    status: DeliveryStatus
    error_code: str | None = None
    done_at: dt.datetime | None = None


@dataclass(frozen=True)
class InboundText:
    """A text a player sent us (an SMS reply): "STOP" withdraws consent for SMS advertising."""

    sender: str
    recipient: str
    text: str
    received_at: dt.datetime


@dataclass(frozen=True)
class Bounce:
    """An e-mail that could not be delivered, or a complaint, for ``recipient``."""

    recipient: str
    bounce_class: BounceClass
    diagnostic: str
    message_id: int | None = None


@dataclass(frozen=True)
class SubscriptionGone:
    """A push subscription the push service says no longer exists (HTTP 404/410): remove it."""

    address: str


Inbound = DeliveryReceipt | InboundText | Bounce | SubscriptionGone
InboundHandler = Callable[[Inbound], Awaitable[None]]


class Transport(Protocol):
    """What the dispatcher needs of a channel."""

    channel: str

    async def open(self, on_inbound: InboundHandler | None = None) -> None:
        """Connect (and bind, log in…). Raises :class:`TransportError` when the provider refuses us."""

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Send ``messages`` concurrently within the provider's window; one result per message, in order.
        A message's own failure is its result's ``error``; only a lost connection that cannot be re-opened
        raises."""

    async def close(self) -> None:
        """Finish what is in flight, then disconnect."""


@runtime_checkable
class Reconcilable(Protocol):
    """A transport whose provider can say afterwards whether it took a message (our outbox id travels with
    every message: an SMTP ``Message-ID``, a push payload's ``id``…). The dispatcher asks it about messages a
    killed sender left unsettled, instead of leaving them in doubt."""

    @property
    def can_look_up(self) -> bool:
        """False when the provider's status API is not configured."""

    async def lookup(self, message_ids: Sequence[int]) -> dict[int, str | None]:
        """Outbox id → the provider's id for a message it took, or None for one it never took. Raises
        :class:`TransportError` when the provider cannot be asked now (nothing is concluded)."""
