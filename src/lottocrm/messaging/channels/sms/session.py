"""One SMPP bind (transceiver) to the SMSC: bind, submit, re-bind after a lost connection, and read what the
SMSC sends us (receipts, players' texts) for as long as the bind lives.

smpp34 drives the protocol (framing, sequence numbers, enquire_link, answering deliver_sm); this module
adds what a sender needs around it: a refused bind reported with its reason, and submissions that lost
their connection sent again on a new bind.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import smpp34

from lottocrm.messaging.channels.base import TransportError
from lottocrm.messaging.channels.sms.settings import SmppSettings
from lottocrm.messaging.channels.sms.statuses import BIND_REFUSALS, ESME_ROK, status_name

log = logging.getLogger("lottocrm.messaging.sms")

_BIND_TRANSCEIVER = 0x00000009
_UNBIND = 0x00000006
# How long a failed submit waits to learn whether its session died (the Disconnected event may trail
# the failed future by a moment) before the failure is taken as the SMSC's answer on a live session.
_DEATH_GRACE = 0.5


class NoResponse(Exception):
    """A submit_sm on a live session got no submit_sm_resp (the response timer ran out, or a generic_nack)."""


class SmppSession:
    def __init__(
        self,
        *,
        settings: SmppSettings,
        number: int,
        on_deliver: Callable[[smpp34.DeliverSmEvent], Awaitable[None]],
    ) -> None:
        self._settings = settings
        self._number = number
        self._on_deliver = on_deliver
        self._client: smpp34.Client | None = None
        self._smsc: smpp34.Smsc | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._generation = 0
        self._rebind_lock = asyncio.Lock()
        self._closing = False

    @property
    def where(self) -> str:
        return f"{self._settings.host}:{self._settings.port}"

    async def open(self) -> None:
        """Bind. Raises a permanent TransportError when the SMSC refuses our credentials, a temporary one
        when it cannot be reached."""
        settings = self._settings
        client = smpp34.Client(
            settings.host,
            settings.port,
            settings.system_id,
            settings.password,
            bind_type="TRX",
            tls=settings.tls,
            window_size=settings.window,
            # Receipts waiting for the reader. With room for 16 per window slot, a reader held up for a
            # moment (the dispatcher's database work shares the interpreter) answered ESME_RMSGQFUL, the
            # SMSC retried, then gave receipts up and stopped answering submissions: a campaign of 38 000
            # collapsed to 139 messages/s. Events are small; a second of a fast SMSC's receipts fits.
            inbound_capacity=max(1024, settings.window * 1024),
            connect_timeout_ms=int(settings.bind_timeout * 1000),
        )
        try:
            smsc = await client.connect()
        except smpp34.SmppError as exc:
            await client.stop()
            raise await self._bind_failure(str(exc)) from None
        self._client, self._smsc = client, smsc
        self._generation += 1
        self._lost = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(
            self._read(smsc, self._lost), name=f"smpp-reader-{self._number}"
        )

    async def _bind_failure(self, reason: str) -> TransportError:
        settings = self._settings
        if reason != "bind timed out":
            return TransportError(
                f"cannot reach the SMSC at {self.where} (system id {settings.system_id!r}): {reason}",
                permanent=False,
                reason="connection",
            )
        # smpp34 logs a refused bind's status only to its own log and lets connect() time out; ask the
        # SMSC once more ourselves to learn why, so the operator reads "wrong password", not "timeout".
        status = None if settings.tls else await self._probe_bind_status()
        if status in BIND_REFUSALS:
            return TransportError(
                f"the SMSC at {self.where} refused the bind of system id {settings.system_id!r}: "
                f"{status_name(status)} (0x{status:08X}); "
                "check LOTTOCRM_SMPP_SYSTEM_ID and LOTTOCRM_SMPP_PASSWORD",
                permanent=True,
                reason="bind_refused",
            )
        detail = (
            f"it answered {status_name(status)}" if status not in (None, ESME_ROK) else "no bind response"
        )
        return TransportError(
            f"the SMSC at {self.where} did not bind system id {settings.system_id!r} within "
            f"{settings.bind_timeout:g} s ({detail})",
            permanent=False,
            reason="connection",
        )

    async def _probe_bind_status(self) -> int | None:
        settings = self._settings
        body = b"".join(
            (
                settings.system_id.encode() + b"\x00",
                settings.password.encode() + b"\x00",
                b"\x00",  # system_type
                bytes((0x34, 0, 0)),  # interface_version, addr_ton, addr_npi
                b"\x00",  # address_range
            )
        )
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(settings.host, settings.port), settings.bind_timeout
            )
        except (OSError, TimeoutError):
            return None
        try:
            writer.write(struct.pack(">IIII", 16 + len(body), _BIND_TRANSCEIVER, 0, 1) + body)
            header = await asyncio.wait_for(reader.readexactly(16), settings.bind_timeout)
            _, _, status, _ = struct.unpack(">IIII", header)
            if status == ESME_ROK:
                writer.write(struct.pack(">IIII", 16, _UNBIND, 0, 2))
                await writer.drain()
            return int(status)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            return None
        finally:
            writer.close()

    async def _read(self, smsc: smpp34.Smsc, lost: asyncio.Event) -> None:
        """Hand every deliver_sm to the transport until the session ends. smpp34 has already answered
        each with deliver_sm_resp (ESME_RMSGQFUL when this reader falls behind, so the SMSC retries)."""
        try:
            while True:
                event = await smsc.next()
                if isinstance(event, smpp34.Disconnected):
                    return
                try:
                    await self._on_deliver(event)
                except Exception:
                    log.exception(
                        "SMPP bind %d: handling a deliver_sm failed; the SMSC got its answer", self._number
                    )
        finally:
            lost.set()

    async def submit(self, destination_addr: str, short_message: bytes, **fields: Any) -> smpp34.SubmitSmResp:
        """Submit one PDU, re-binding and sending it again when the connection is lost before its
        submit_sm_resp arrives.

        Sending again may duplicate: the SMSC may have taken the PDU and lost only its answer with the
        connection. We accept that because the alternative is to lose it, and the dispatcher has recorded
        the attempt before calling us, so a second receipt for the message can be reconciled. A PDU that
        was answered is never sent again here."""
        for _ in range(self._settings.rebind_attempts + 1):
            smsc, generation, lost = self._smsc, self._generation, self._lost
            if smsc is None:
                if self._closing:
                    raise TransportError("the SMPP transport is closed", permanent=False, reason="connection")
                # Another submission is re-binding (or its re-bind failed): wait for it, or try again.
                await self._rebind(generation)
                continue
            try:
                return await smsc.submit_sm(destination_addr, short_message, **fields)
            except smpp34.SmppError as exc:
                if not await self._died(lost):
                    raise NoResponse(str(exc)) from None
            await self._rebind(generation)
        raise TransportError(
            f"the connection to the SMSC at {self.where} kept dropping; gave up after "
            f"{self._settings.rebind_attempts} re-binds",
            permanent=False,
            reason="connection",
        )

    @staticmethod
    async def _died(lost: asyncio.Event) -> bool:
        if lost.is_set():
            return True
        try:
            await asyncio.wait_for(lost.wait(), _DEATH_GRACE)
        except TimeoutError:
            return False
        return True

    async def _rebind(self, generation: int) -> None:
        """Bind again, once for all the submissions that found the session dead."""
        async with self._rebind_lock:
            if self._generation != generation or self._closing:
                return
            await self._drop()
            delay = 0.2
            for attempt in range(1, self._settings.rebind_attempts + 1):
                try:
                    await self.open()
                    log.warning(
                        "SMPP bind %d to %s re-established (attempt %d)", self._number, self.where, attempt
                    )
                    return
                except TransportError as exc:
                    if exc.permanent or attempt == self._settings.rebind_attempts:
                        raise
                    log.warning("SMPP bind %d: re-bind attempt %d failed: %s", self._number, attempt, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _drop(self) -> None:
        client, reader = self._client, self._reader
        self._client = self._smsc = self._reader = None
        if reader is not None:
            reader.cancel()
        if client is not None:
            await client.stop()

    async def close(self) -> None:
        """Unbind and disconnect."""
        self._closing = True
        if self._smsc is not None:
            try:
                await asyncio.wait_for(self._smsc.unbind(), 5)
            except (smpp34.SmppError, TimeoutError):
                log.info("SMPP bind %d: unbind not answered; closing anyway", self._number)
        await self._drop()
