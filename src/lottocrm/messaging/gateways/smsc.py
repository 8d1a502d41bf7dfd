"""A local SMSC on loopback, for development, the demo and the tests: it speaks real SMPP 3.4.

Built on ``smpp34.Server`` and run on its own thread with its own event loop (:meth:`LocalSmsc.start` /
:meth:`LocalSmsc.stop`), so a synchronous test fixture or the ``gateways`` command can start it and an
asynchronous transport can talk to it. It accepts binds with the configured system_id and password,
answers every ``submit_sm`` with a message id, sends a delivery receipt (Appendix B text plus the
``receipted_message_id`` / ``message_state`` TLVs) shortly after, reassembles concatenated parts and hands
each whole message to ``on_received`` (called on the SMSC's thread: keep it quick) and to :attr:`received`.

    smsc = LocalSmsc(system_id="lottocrm", password="secret")
    port = smsc.start()
    ...  # point LOTTOCRM_SMPP_HOST/PORT/SYSTEM_ID/PASSWORD at it
    await smsc.send_inbound(sender="+79161234567", text="STOP")
    smsc.stop()

smpp34's Python server accepts every bind (its bridge does not show the password), so the public port is
a :class:`~lottocrm.messaging.gateways.smpp_gate.BindGate` that checks the credentials and relays accepted
sessions to the smpp34 server on an internal port.

For tests and the demo it can be told to throttle (:meth:`throttle_next`, :meth:`throttle_above`),
refuse binds (:attr:`bind_refusal`), reject numbers (:attr:`invalid_numbers`, ESME_RINVDSTADR), report
numbers undeliverable (:attr:`undeliverable`, receipt UNDELIV), hold submissions unanswered
(:attr:`hold_submits`), send a receipt of any text (:meth:`send_raw_receipt`) and send a player's text
to every bound session (:meth:`send_inbound`).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import datetime as dt
import itertools
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import smpp34

from lottocrm import clock
from lottocrm.messaging.channels.sms.reassembly import PartCollector
from lottocrm.messaging.channels.sms.receipts import (
    ESM_CLASS_DELIVERY_RECEIPT,
    TLV_MESSAGE_STATE,
    TLV_RECEIPTED_MESSAGE_ID,
    receipt_text,
)
from lottocrm.messaging.gateways.smpp_gate import BindGate
from lottocrm.messaging.sms_text import (
    ESM_CLASS_UDHI,
    MAX_PARTS_POSSIBLE,
    decode_text,
    split_for_smpp,
    split_udh,
)

log = logging.getLogger("lottocrm.messaging.smsc")

T = TypeVar("T")

ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
_TON_INTERNATIONAL = 1
_NPI_ISDN = 1
_TON_SHORT_CODE = 3
_MESSAGE_STATE = {"DELIVRD": 2, "UNDELIV": 5}
_RECEIPT_ATTEMPTS = 5


@dataclass(frozen=True)
class ReceivedSms:
    """One whole message as the SMSC received it. ``provider_id`` is the id given to its last part (the
    one the transport reports)."""

    sender: str
    recipient: str
    text: str
    parts: int
    provider_id: str
    data_coding: int
    at: dt.datetime


def _address(addr: str, ton: int) -> str:
    return f"+{addr}" if ton == _TON_INTERNATIONAL and not addr.startswith("+") else addr


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class LocalSmsc:
    def __init__(
        self,
        *,
        system_id: str = "lottocrm",
        password: str = "secret",
        host: str = "127.0.0.1",
        port: int = 0,
        receipt_delay: float = 0.02,
        service_number: str = "7575",
        on_received: Callable[[ReceivedSms], None] | None = None,
        keep: int = 100_000,
    ) -> None:
        self.system_id = system_id
        self.password = password
        self.host = host
        self.port = port
        self.receipt_delay = receipt_delay
        self.service_number = service_number
        self.on_received = on_received
        # Knobs a test or the demo turns; plain attributes, read by the SMSC's thread on every PDU.
        self.bind_refusal: int | None = None
        self.invalid_numbers: set[str] = set()
        self.undeliverable: set[str] = set()
        self.hold_submits = False
        # The latest ``keep`` messages: a development gateway left running must not grow without bound.
        self.received: collections.deque[ReceivedSms] = collections.deque(maxlen=keep)
        self.submits = 0
        self._throttle_count = 0
        self._throttle_after = 0
        self._throttle_tps: float | None = None
        self._recent_accepts: collections.deque[float] = collections.deque()
        self._held: list[smpp34.SubmitSmEvent] = []
        self._ids = itertools.count(1)
        self._parts = PartCollector()
        self._sessions: dict[str, smpp34.Esme] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: smpp34.Server | None = None
        self._gate: BindGate | None = None

    # ── lifecycle ────────────────────────────────────────────────────────────────────────────────────

    def start(self) -> int:
        """Start listening; returns the port (an ephemeral one unless ``port`` was given)."""
        if self._thread is not None:
            raise RuntimeError("the local SMSC is already running")
        ready: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="local-smsc", daemon=True)
        self._thread.start()
        self.port = ready.result(timeout=30)
        return self.port

    def stop(self) -> None:
        """Close every session and the listeners, and end the SMSC's thread."""
        if self._thread is None or self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._thread = self._loop = None
        self._sessions.clear()

    def _run(self, ready: concurrent.futures.Future[int]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            port = loop.run_until_complete(self._open())
        except BaseException as exc:  # the caller of start() gets the reason
            ready.set_exception(exc)
            loop.close()
            self._loop = self._thread = None
            return
        ready.set_result(port)
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _open(self) -> int:
        for attempt in itertools.count(1):
            inner_port = _free_port(self.host)
            self._server = smpp34.Server(self.host, inner_port, system_id="LOCALSMSC", inbound_capacity=65536)
            try:
                await self._server.start()
                break
            except smpp34.SmppError:
                # Another process took the probed port between the probe and the bind.
                if attempt == 5:
                    raise
        self._gate = BindGate(host=self.host, inner_port=inner_port, check=self._check_bind)
        port = await self._gate.listen(self.port)
        self._spawn(self._serve())
        return port

    async def _shutdown(self) -> None:
        self._held = []
        if self._gate is not None:
            await self._gate.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.stop()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_loop(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the SMSC's loop and await it from the caller's."""
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the local SMSC is not running; call start() first")
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    def _check_bind(self, system_id: str, password: str) -> int | None:
        if self.bind_refusal is not None:
            return self.bind_refusal
        if system_id != self.system_id:
            return ESME_RINVSYSID
        if password != self.password:
            return ESME_RINVPASWD
        return None

    async def _drop_links(self) -> None:
        self._held = []
        if self._gate is not None:
            await self._gate.drop_all()

    async def drop_connections(self) -> None:
        """Cut every bound session, as a network failure would; submissions held unanswered are lost."""
        await self._on_loop(self._drop_links())

    # ── submissions ──────────────────────────────────────────────────────────────────────────────────

    def throttle_next(self, count: int, *, after: int = 0) -> None:
        """Answer ``count`` submit_sm with ESME_RTHROTTLED, once ``after`` more have been let through."""
        self._throttle_count, self._throttle_after = count, after

    def throttle_above(self, tps: float | None) -> None:
        """Answer ESME_RTHROTTLED to submissions beyond ``tps`` in any one second (None: no limit)."""
        self._throttle_tps = tps
        self._recent_accepts.clear()

    def release_held(self) -> None:
        """Stop holding submissions; those already held are answered now."""
        self.hold_submits = False
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._answer_held)

    def _answer_held(self) -> None:
        held, self._held = self._held, []
        for event in held:
            self._on_submit(event)

    async def _serve(self) -> None:
        assert self._server is not None
        while True:
            event = await self._server.next()
            if isinstance(event, smpp34.SubmitSmEvent):
                try:
                    self._on_submit(event)
                except Exception:  # one bad PDU must not silence the SMSC; smpp34 NAKs it
                    log.exception("local SMSC failed on a submit_sm")
            elif isinstance(event, smpp34.Esme):
                self._sessions[event.session_id] = event
            elif isinstance(event, smpp34.Unbound):
                self._sessions.pop(event.session_id, None)

    def _throttled(self) -> bool:
        if self._throttle_after > 0:
            self._throttle_after -= 1
        elif self._throttle_count > 0:
            self._throttle_count -= 1
            return True
        if self._throttle_tps is None:
            return False
        now = time.monotonic()
        while self._recent_accepts and now - self._recent_accepts[0] >= 1.0:
            self._recent_accepts.popleft()
        if len(self._recent_accepts) >= self._throttle_tps:
            return True
        self._recent_accepts.append(now)
        return False

    def _on_submit(self, event: smpp34.SubmitSmEvent) -> None:
        if self.hold_submits:
            self._held.append(event)
            return
        self.submits += 1
        if self._throttled():
            event.reject(smpp34.ESME_RTHROTTLED)
            return
        recipient = _address(event.destination_addr, event.dest_addr_ton)
        if recipient in self.invalid_numbers:
            event.reject(smpp34.ESME_RINVDSTADR)
            return
        message_id = format(next(self._ids), "010x")
        event.accept(message_id)
        sender = _address(event.source_addr, event.source_addr_ton)
        short_message = event.short_message
        concatenation = None
        if event.esm_class & ESM_CLASS_UDHI:
            concatenation, short_message = split_udh(short_message)
        text = decode_text(short_message, data_coding=event.data_coding)
        if concatenation is None:
            self._deliver(ReceivedSms(sender, recipient, text, 1, message_id, event.data_coding, clock.now()))
        else:
            whole = self._parts.add(
                sender=sender, recipient=recipient, concatenation=concatenation, text=text, extra=message_id
            )
            if whole is not None:
                provider_id = str(whole.extras[-1])
                received = ReceivedSms(
                    sender, recipient, whole.text, whole.parts, provider_id, event.data_coding, clock.now()
                )
                self._deliver(received)
        wants_receipt = event.registered_delivery & 0x03
        stat = "UNDELIV" if recipient in self.undeliverable else "DELIVRD"
        # registered_delivery 1: a receipt for success or failure; 2: for failure only (SMPP 3.4 §5.2.17).
        if wants_receipt == 1 or (wants_receipt == 2 and stat != "DELIVRD"):
            submitted_at = clock.now()
            loop = asyncio.get_running_loop()
            loop.call_later(
                self.receipt_delay,
                lambda: self._spawn(
                    self._send_receipt(event.session_id, message_id, stat, submitted_at, event, text)
                ),
            )

    def _deliver(self, received: ReceivedSms) -> None:
        self.received.append(received)
        if self.on_received is not None:
            try:
                self.on_received(received)
            except Exception:
                log.exception("on_received failed for %s", received.provider_id)

    # ── deliver_sm: receipts and players' texts ──────────────────────────────────────────────────────

    def _receivers(self, preferred: str | None = None) -> list[smpp34.Esme]:
        """Where to send a deliver_sm: the session that submitted, else any receiving session."""
        sessions = [esme for esme in self._sessions.values() if esme.can_receive]
        first = self._sessions.get(preferred) if preferred else None
        if first is not None and first.can_receive:
            sessions.remove(first)
            sessions.insert(0, first)
        return sessions

    async def _bound_receivers(self, wait: float = 5.0) -> list[smpp34.Esme]:
        """The receiving sessions, waiting a little for one: smpp34 tells the SMSC of a bind a moment after
        the ESME has its bind_resp, and an SMSC keeps a player's text until someone is bound to take it."""
        deadline = time.monotonic() + wait
        while not (sessions := self._receivers()) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return sessions

    async def _send_receipt(
        self,
        session_id: str,
        message_id: str,
        stat: str,
        submitted_at: dt.datetime,
        event: smpp34.SubmitSmEvent,
        text: str,
    ) -> None:
        body = receipt_text(
            provider_id=message_id, stat=stat, err="000" if stat == "DELIVRD" else "001",
            submitted_at=submitted_at, done_at=clock.now(), text=text,
        ).encode("ascii", "replace")  # fmt: skip
        tlvs = [
            smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, message_id.encode() + b"\x00"),
            smpp34.Tlv(TLV_MESSAGE_STATE, bytes((_MESSAGE_STATE[stat],))),
        ]
        for _ in range(_RECEIPT_ATTEMPTS):
            for esme in self._receivers(session_id):
                sent = await self._deliver_sm(
                    esme,
                    lambda esme=esme: esme.deliver_sm(
                        event.source_addr, body, source_addr=event.destination_addr,
                        source_addr_ton=event.dest_addr_ton, source_addr_npi=event.dest_addr_npi,
                        dest_addr_ton=event.source_addr_ton, dest_addr_npi=event.source_addr_npi,
                        esm_class=ESM_CLASS_DELIVERY_RECEIPT, tlvs=tlvs,
                    ),
                )  # fmt: skip
                if sent:
                    return
            # Nobody took it (queue full, no session bound): an SMSC keeps a receipt and tries again.
            await asyncio.sleep(0.2)
        log.warning("local SMSC gave up delivering the receipt for %s", message_id)

    @staticmethod
    async def _deliver_sm(esme: smpp34.Esme, send: Callable[[], Awaitable[smpp34.DeliverSmResp]]) -> bool:
        try:
            response = await send()
        except smpp34.SmppError as exc:
            log.info("deliver_sm to %s failed: %s", esme.session_id, exc)
            return False
        return bool(response.is_success)

    async def send_inbound(self, *, sender: str, text: str, recipient: str | None = None) -> int:
        """Send ``text`` from the phone ``sender`` (e.g. a player's "STOP") to every bound session that
        can receive; returns how many got it."""
        return await self._on_loop(self._send_inbound(sender, text, recipient or self.service_number))

    async def _send_inbound(self, sender: str, text: str, recipient: str) -> int:
        payload = split_for_smpp(text, max_parts=MAX_PARTS_POSSIBLE)
        # A service number without "+" is a short code inside the network (TON 3), as operators' are.
        to_ton, to_npi = (
            (_TON_INTERNATIONAL, _NPI_ISDN) if recipient.startswith("+") else (_TON_SHORT_CODE, 0)
        )
        reached = 0
        for esme in await self._bound_receivers():
            results = [
                await self._deliver_sm(
                    esme,
                    lambda part=part, esme=esme: esme.deliver_sm(
                        recipient.lstrip("+"),
                        part,
                        dest_addr_ton=to_ton,
                        dest_addr_npi=to_npi,
                        source_addr=sender.lstrip("+"),
                        source_addr_ton=_TON_INTERNATIONAL,
                        source_addr_npi=_NPI_ISDN,
                        esm_class=payload.esm_class,
                        data_coding=payload.data_coding,
                    ),
                )  # fmt: skip
                for part in payload.parts
            ]
            reached += all(results)
        return reached

    async def send_raw_receipt(self, *, text: str | bytes, tlvs: dict[int, bytes] | None = None) -> int:
        """Send a delivery receipt of exactly ``text`` (a malformed one, say) to every receiving session."""
        body = text.encode("latin-1") if isinstance(text, str) else text
        extra = [smpp34.Tlv(tag, value) for tag, value in (tlvs or {}).items()]
        return await self._on_loop(self._send_raw(body, extra))

    async def _send_raw(self, body: bytes, tlvs: list[smpp34.Tlv]) -> int:
        reached = 0
        for esme in await self._bound_receivers():
            reached += await self._deliver_sm(
                esme,
                lambda esme=esme: esme.deliver_sm(
                    self.service_number, body, source_addr="79990000000",
                    esm_class=ESM_CLASS_DELIVERY_RECEIPT, tlvs=tlvs,
                ),
            )  # fmt: skip
        return reached

    @property
    def binds(self) -> int:
        """Binds accepted since start."""
        return self._gate.admitted if self._gate is not None else 0

    @property
    def bound_sessions(self) -> int:
        return len(self._sessions)

    @property
    def held(self) -> int:
        """Submissions held unanswered (see :attr:`hold_submits`)."""
        return len(self._held)

    async def wait_received(self, count: int, *, timeout: float = 10.0) -> list[ReceivedSms]:
        """Wait (from any loop) until ``count`` whole messages have arrived; all received so far."""
        deadline = time.monotonic() + timeout
        if self.received.maxlen is not None and count > self.received.maxlen:
            raise ValueError(f"the local SMSC keeps only the latest {self.received.maxlen} messages (keep=)")
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the local SMSC received {len(self.received)} of {count} messages")
            await asyncio.sleep(0.01)
        return list(self.received)
