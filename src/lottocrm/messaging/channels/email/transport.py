"""E-mail over SMTP: the :class:`~lottocrm.messaging.channels.base.Transport` for the ``email`` channel."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiosmtplib

from lottocrm.messaging.channels.base import (
    Bounce,
    InboundHandler,
    OutgoingMessage,
    SendResult,
    TransportError,
)
from lottocrm.messaging.channels.email.bounces import parse_report
from lottocrm.messaging.channels.email.compose import InvalidEmail, compose, from_header
from lottocrm.messaging.channels.email.pacing import SendPace
from lottocrm.messaging.channels.email.pool import SmtpPool
from lottocrm.messaging.channels.email.replies import SEND_ERRORS, classify_exception
from lottocrm.messaging.channels.email.settings import SmtpSettings, load_smtp_settings
from lottocrm.messaging.channels.email.status import look_up_references


class SmtpTransport:
    """Sends each message in its own SMTP transaction (one recipient, so each refusal is that player's)
    over up to ``LOTTOCRM_SMTP_CONNECTIONS`` reused connections.

    ``provider_id`` of an accepted message is the ``Message-ID`` we gave it: the one handle a later bounce
    or complaint carries.
    """

    channel = "email"

    def __init__(self, *, settings: SmtpSettings | None = None) -> None:
        self._settings = settings or load_smtp_settings()
        self._pool: SmtpPool | None = None
        self._pace = SendPace(per_second=self._settings.smtp_rate_per_second)
        self._from_line = from_header(self._settings.smtp_from)
        # Parsed once: from the settings it is an address parse per message.
        self._helo_name = self._settings.helo_name
        self._on_inbound: InboundHandler | None = None

    @property
    def can_look_up(self) -> bool:
        return self._settings.smtp_status_url is not None

    async def lookup(self, message_ids: Sequence[int]) -> dict[int, str | None]:
        """Whether the provider took each message, by its ``Message-ID`` at the status API
        (``LOTTOCRM_SMTP_STATUS_URL``): the ``Message-ID`` it holds (our ``provider_id``), or None."""
        url = self._settings.smtp_status_url
        if url is None:
            raise TransportError("LOTTOCRM_SMTP_STATUS_URL is not set", permanent=True, reason="no_lookup")
        return await look_up_references(url, message_ids, timeout=self._settings.smtp_timeout_seconds)

    async def open(self, on_inbound: InboundHandler | None = None) -> None:
        self._on_inbound = on_inbound
        self._pool = SmtpPool(settings=self._settings)
        await self._pool.warm()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """One result per message, in order.

        A server that cannot be reached gives every message not yet sent a temporary ``connection`` error
        instead of raising: raising would lose the results of the messages this batch already delivered,
        and the dispatcher would send those again.
        """
        pool = self._require_pool()
        results: list[SendResult | None] = [None] * len(messages)
        pending = iter(enumerate(messages))
        unreachable: list[TransportError] = []

        async def sender() -> None:
            # The senders share one iterator; the event loop runs one at a time, so each message goes once.
            for index, message in pending:
                if unreachable:
                    results[index] = SendResult(message.message_id, error=unreachable[0])
                    continue
                results[index] = await self._send_one(pool, message, unreachable)

        await asyncio.gather(*(sender() for _ in range(min(self._settings.smtp_connections, len(messages)))))
        return [result for result in results if result is not None]

    async def _send_one(
        self, pool: SmtpPool, message: OutgoingMessage, unreachable: list[TransportError]
    ) -> SendResult:
        settings = self._settings
        try:
            mail = compose(message, from_line=self._from_line, domain=self._helo_name)
        except InvalidEmail as exc:
            return SendResult(
                message.message_id, error=TransportError(str(exc), permanent=True, reason=exc.reason)
            )
        await self._pace.wait()
        try:
            client = await pool.acquire()
        except TransportError as exc:
            # The server is the problem (unreachable, or refusing our login or TLS just now), not the message:
            # it may go later, and the rest of the batch would only meet the same refusal.
            error = TransportError(str(exc), permanent=False, reason=exc.reason)
            unreachable.append(error)
            return SendResult(message.message_id, error=error)
        reusable = False
        try:
            await client.sendmail(
                settings.smtp_bounce_address,
                [mail.recipient],
                mail.data,
                mail_options=["SMTPUTF8"] if mail.needs_smtputf8 else None,
            )
            reusable = True
            return SendResult(message.message_id, provider_id=mail.message_id)
        except SEND_ERRORS as exc:
            # A connection lost after the message's final dot but before the server's 250 leaves it unknown
            # whether the server took it; it is reported as not sent (temporary), so the dispatcher's retry
            # may deliver it twice: SMTP has no way to ask the server afterwards.
            error = classify_exception(exc)
            # 421 announces the server is closing this connection; a broken one is spent either way.
            reusable = error.reason != "connection" and getattr(exc, "code", None) != 421
            if reusable:
                reusable = await _reset(client)
            return SendResult(message.message_id, error=error)
        finally:
            pool.release(client, reusable=reusable)

    async def accept_report(self, raw: bytes) -> list[Bounce]:
        """Hand the bounces (or complaint) of a report that came back to the bounce address to ``on_inbound``.

        Reading the bounce mailbox (IMAP, or a pipe from the MTA) is not part of this transport; whatever
        reads it passes each report here. Raises :class:`.BounceParseError` for a malformed one.
        """
        bounces = parse_report(raw)
        if self._on_inbound is not None:
            for bounce in bounces:
                await self._on_inbound(bounce)
        return bounces

    def _require_pool(self) -> SmtpPool:
        if self._pool is None:
            raise RuntimeError("SmtpTransport.send_many before open()")
        return self._pool


async def _reset(client: aiosmtplib.SMTP) -> bool:
    """RSET after a refused transaction, so the next message starts clean; False: drop the connection."""
    try:
        await client.rset()
    except SEND_ERRORS:
        return False
    return True
