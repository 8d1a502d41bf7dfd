"""The SMS channel's transport: SMPP 3.4 to the operator's SMSC through the ``smpp34`` async client.

Usage (the dispatcher does this)::

    transport = SmppTransport(settings=smpp_settings_from_env())
    await transport.open(on_inbound=handle)       # DeliveryReceipt and InboundText arrive here
    results = await transport.send_many(messages) # one SendResult per OutgoingMessage, in order
    await transport.close()

Each bind (``LOTTOCRM_SMPP_BINDS``) is a transceiver with up to ``LOTTOCRM_SMPP_WINDOW`` submit_sm in
flight; all binds share one token bucket (``LOTTOCRM_SMPP_TPS``) that slows down when the SMSC throttles.
A message's text is split by :mod:`lottocrm.messaging.sms_text` before anything is sent, so a text over
``LOTTOCRM_SMS_MAX_PARTS`` is refused without a PDU. A multi-part message's ``provider_id`` is the message id
the SMSC gave its **last** part: receipts for the earlier parts carry ids the dispatcher does not know
and are reported like any other receipt (the dispatcher ignores them).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import smpp34

from lottocrm import clock
from lottocrm.messaging.channels.base import (
    DeliveryReceipt,
    InboundHandler,
    InboundText,
    OutgoingMessage,
    SendResult,
    TransportError,
)
from lottocrm.messaging.channels.sms.rate import AdaptiveRate
from lottocrm.messaging.channels.sms.reassembly import PartCollector
from lottocrm.messaging.channels.sms.receipts import ESM_CLASS_DELIVERY_RECEIPT, parse_receipt
from lottocrm.messaging.channels.sms.session import NoResponse, SmppSession
from lottocrm.messaging.channels.sms.settings import SmppSettings, smpp_settings_from_env
from lottocrm.messaging.channels.sms.statuses import ESME_ROK, THROTTLING, submit_error
from lottocrm.messaging.sms_text import (
    ESM_CLASS_UDHI,
    SmppPayload,
    SmsTooLong,
    decode_text,
    split_for_smpp,
    split_udh,
)

log = logging.getLogger("lottocrm.messaging.sms")

_TON_UNKNOWN, _TON_INTERNATIONAL, _TON_NETWORK_SPECIFIC, _TON_ALPHANUMERIC = 0, 1, 3, 5
_NPI_UNKNOWN, _NPI_ISDN = 0, 1
# esm_class bits 2–5 give the message type (SMPP 3.4 §5.2.12): 0 a text from a phone, 0x04 a receipt;
# SME acknowledgements and intermediate notifications are neither and are not reported.
_MESSAGE_TYPE_BITS = 0x3C
# A throttled later part of a message whose first parts went is retried here (at the slowed pace)
# rather than left half delivered.
_LATER_PART_RETRIES = 5


@dataclass(frozen=True)
class _Address:
    addr: str
    ton: int
    npi: int


def _source_address(source: str) -> _Address:
    if source.startswith("+"):
        return _Address(source[1:], _TON_INTERNATIONAL, _NPI_ISDN)
    if source.isdigit():
        # Up to 8 digits is a short code inside the operator's network; longer is a full number.
        if len(source) <= 8:
            return _Address(source, _TON_NETWORK_SPECIFIC, _NPI_UNKNOWN)
        return _Address(source, _TON_INTERNATIONAL, _NPI_ISDN)
    return _Address(source, _TON_ALPHANUMERIC, _NPI_UNKNOWN)


def _destination_address(to: str) -> _Address | None:
    digits = to.removeprefix("+")
    if not (digits.isascii() and digits.isdigit() and 3 <= len(digits) <= 20):
        return None
    return _Address(digits, _TON_INTERNATIONAL if to.startswith("+") else _TON_UNKNOWN, _NPI_ISDN)


def _phone(addr: str, ton: int) -> str:
    return f"+{addr}" if ton == _TON_INTERNATIONAL else addr


@dataclass(frozen=True)
class _Job:
    index: int
    message: OutgoingMessage
    to: _Address
    payload: SmppPayload


class SmppTransport:
    channel = "sms"

    def __init__(self, *, settings: SmppSettings | None = None) -> None:
        self.settings = settings if settings is not None else smpp_settings_from_env()
        self._source = _source_address(self.settings.source_addr)
        self._rate = AdaptiveRate(ceiling=self.settings.tps)
        self._sessions: list[SmppSession] = []
        self._on_inbound: InboundHandler | None = None
        self._inbound_parts = PartCollector()

    async def open(self, on_inbound: InboundHandler | None = None) -> None:
        """Bind every session. Raises TransportError: permanent when the SMSC refuses our system id or
        password (the message names the host and the system id), temporary when it cannot be reached."""
        self._on_inbound = on_inbound
        sessions = [
            SmppSession(settings=self.settings, number=number, on_deliver=self._on_deliver)
            for number in range(1, self.settings.binds + 1)
        ]
        outcomes = await asyncio.gather(*(session.open() for session in sessions), return_exceptions=True)
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failures:
            await asyncio.gather(
                *(
                    session.close()
                    for session, outcome in zip(sessions, outcomes, strict=True)
                    if outcome is None
                )
            )
            raise failures[0]
        self._sessions = sessions

    async def close(self) -> None:
        sessions, self._sessions = self._sessions, []
        await asyncio.gather(*(session.close() for session in sessions))

    def _prepare(self, index: int, message: OutgoingMessage) -> _Job | SendResult:
        to = _destination_address(message.to)
        if to is None:
            error = TransportError(
                f"{message.to!r} is not a phone number (expected digits, + and the country code first)",
                permanent=True,
                reason="invalid_address",
            )
            return SendResult(message_id=message.message_id, error=error)
        try:
            payload = split_for_smpp(message.body, max_parts=self.settings.max_parts)
        except SmsTooLong as exc:
            too_long = TransportError(str(exc), permanent=True, reason="too_long")
            return SendResult(message_id=message.message_id, error=too_long)
        return _Job(index=index, message=message, to=to, payload=payload)

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Send concurrently, ``window`` PDUs in flight per bind; one result per message, in order.

        Raises TransportError only when a lost connection cannot be bound again (or the SMSC now refuses
        the bind); messages answered before that have been sent, and their results are lost with the
        raise — the dispatcher reconciles them by their receipts."""
        if not self._sessions:
            raise TransportError(
                "open() the SMPP transport before sending", permanent=False, reason="connection"
            )
        results: list[SendResult | None] = [None] * len(messages)
        jobs: list[_Job] = []
        for index, message in enumerate(messages):
            prepared = self._prepare(index, message)
            if isinstance(prepared, SendResult):
                results[index] = prepared
            else:
                jobs.append(prepared)
        if jobs:
            queue = iter(jobs)
            workers = min(len(jobs), self.settings.window * len(self._sessions))
            try:
                async with asyncio.TaskGroup() as group:
                    for number in range(workers):
                        session = self._sessions[number % len(self._sessions)]
                        group.create_task(self._work(session, queue, results))
            except* TransportError as failed:
                raise failed.exceptions[0] from None
        done = [result for result in results if result is not None]
        assert len(done) == len(messages), "every message has its result"
        return done

    async def _work(
        self, session: SmppSession, queue: Iterator[_Job], results: list[SendResult | None]
    ) -> None:
        # One PDU in flight per worker, ``window`` workers per session: the window without a semaphore.
        for job in queue:
            results[job.index] = await self._send_one(session, job)

    async def _send_one(self, session: SmppSession, job: _Job) -> SendResult:
        message, payload = job.message, job.payload
        # user_message_reference is 16 bits: a hint the SMSC may echo, not the outbox id itself.
        reference = [
            smpp34.Tlv(smpp34.TLV_USER_MESSAGE_REFERENCE, (message.message_id & 0xFFFF).to_bytes(2, "big"))
        ]
        provider_id: str | None = None
        for position, part in enumerate(payload.parts):
            for attempt in itertools.count():
                sent_at = await self._rate.acquire()
                try:
                    response = await session.submit(
                        job.to.addr,
                        part,
                        source_addr=self._source.addr,
                        source_addr_ton=self._source.ton,
                        source_addr_npi=self._source.npi,
                        dest_addr_ton=job.to.ton,
                        dest_addr_npi=job.to.npi,
                        esm_class=payload.esm_class,
                        data_coding=payload.data_coding,
                        registered_delivery=1,
                        tlvs=reference,
                    )
                except NoResponse as exc:
                    error = TransportError(
                        f"the SMSC did not answer the SMS to {message.to} ({exc}); it may have been accepted",
                        permanent=False,
                        reason="no_response",
                    )
                    return SendResult(message_id=message.message_id, error=error)
                status = response.command_status
                if status == ESME_ROK:
                    provider_id = response.message_id
                    break
                if status in THROTTLING:
                    wait = self._rate.throttled(sent_at)
                    if position > 0 and attempt < _LATER_PART_RETRIES:
                        continue
                    error = submit_error(status, to=message.to, retry_after=wait)
                    return SendResult(message_id=message.message_id, error=error)
                return SendResult(message_id=message.message_id, error=submit_error(status, to=message.to))
        return SendResult(message_id=message.message_id, provider_id=provider_id)

    async def _on_deliver(self, event: smpp34.DeliverSmEvent) -> None:
        message_type = event.esm_class & _MESSAGE_TYPE_BITS
        if message_type == ESM_CLASS_DELIVERY_RECEIPT:
            tlvs = {tlv.tag: tlv.value for tlv in event.tlvs}
            receipt = parse_receipt(short_message=event.short_message, tlvs=tlvs)
            if receipt is not None:
                await self._hand_over(receipt)
            return
        if message_type != 0:
            log.info(
                "SMPP deliver_sm of message type 0x%02X ignored (not a receipt, not a text)", message_type
            )
            return
        short_message, concatenation = event.short_message, None
        if event.esm_class & ESM_CLASS_UDHI:
            concatenation, short_message = split_udh(short_message)
        text = decode_text(short_message, data_coding=event.data_coding)
        sender = _phone(event.source_addr, event.source_addr_ton)
        recipient = _phone(event.destination_addr, event.dest_addr_ton)
        if concatenation is not None:
            whole = self._inbound_parts.add(
                sender=sender, recipient=recipient, concatenation=concatenation, text=text
            )
            if whole is None:
                return
            text = whole.text
        await self._hand_over(
            InboundText(sender=sender, recipient=recipient, text=text, received_at=clock.now())
        )

    async def _hand_over(self, item: DeliveryReceipt | InboundText) -> None:
        if self._on_inbound is None:
            log.info("SMPP inbound %r dropped: the transport was opened without on_inbound", item)
            return
        await self._on_inbound(item)
