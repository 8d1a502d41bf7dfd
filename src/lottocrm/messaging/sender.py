"""The running side of messaging: the transports of the configured channels, opened once, with what comes
back from them (receipts, replies, bounces) applied to the store as it arrives.

``Sender`` is an async context manager. Inside it, ``drain()`` sends everything due and ``run(stop)`` keeps
dispatching until told to stop (``lottocrm dispatch``). Inbound events are gathered for a few milliseconds and
applied together in a worker thread, so the event loop never waits on the database: delivery receipts
set-based in one savepoint, anything else (a STOP, a bounce) in a savepoint each.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Mapping
from types import TracebackType

from sqlalchemy.engine import Engine

from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.messaging import dispatch, inbound
from lottocrm.messaging.channels.base import DeliveryReceipt, Inbound, InboundHandler, Transport
from lottocrm.messaging.receipts import Receipt, apply_receipts, settle_early_receipts
from lottocrm.messaging.reconcile import ReconcileReport, reconcile

log = logging.getLogger(__name__)
# How long inbound events gather before they are applied together, in one transaction.
INBOUND_GATHER_SECONDS = 0.02


class Sender:
    def __init__(self, engine: Engine, transports: Mapping[str, Transport]) -> None:
        """``transports``: contact-policy channel ("sms", "email", "push") → its transport."""
        self.engine = engine
        self.transports = dict(transports)
        self.inbound_applied = 0
        self._pending: set[asyncio.Task[None]] = set()
        self._arrived: list[tuple[Inbound, str]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Sender:
        opened: list[Transport] = []
        try:
            for channel, transport in self.transports.items():
                await transport.open(self._handler(channel))
                opened.append(transport)
        except BaseException:
            for transport in opened:
                await transport.close()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.settled()
        for transport in self.transports.values():
            await transport.close()

    def _handler(self, channel: str) -> InboundHandler:
        async def handle(event: Inbound) -> None:
            self._arrived.append((event, channel))
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.create_task(self._flush())
                self._pending.add(self._flusher)
                self._flusher.add_done_callback(self._pending.discard)

        return handle

    async def _flush(self) -> None:
        """Apply what arrived in batches: thousands of receipts a second would otherwise be thousands of
        transactions, each waiting its turn for the database the dispatcher writes too."""
        while self._arrived:
            await asyncio.sleep(INBOUND_GATHER_SECONDS)
            batch, self._arrived = self._arrived, []
            await asyncio.to_thread(self._apply, batch)

    def _apply(self, batch: list[tuple[Inbound, str]]) -> None:
        # One moment for the batch: receipts are ended together, one UPDATE per status and moment.
        moment = clock.now()
        receipts = [
            Receipt(channel, event.provider_id, event.status, moment)
            for event, channel in batch
            if isinstance(event, DeliveryReceipt)
        ]
        others = [(event, channel) for event, channel in batch if not isinstance(event, DeliveryReceipt)]
        with transaction(self.engine) as session:
            if receipts:
                try:
                    # Receipts together: a campaign's thousands a second are one UPDATE per status.
                    with session.begin_nested():
                        apply_receipts(session, receipts)
                    self.inbound_applied += len(receipts)
                except Exception:
                    log.exception(
                        "could not apply %d receipts together; applying them one by one", len(receipts)
                    )
                    others = batch
            for event, channel in others:
                try:
                    # Each in its savepoint: one bad report must not undo or stop the others.
                    with session.begin_nested():
                        inbound.apply(session, event, channel=channel)
                    self.inbound_applied += 1
                except Exception:
                    log.exception("could not apply %r from the %s channel", event, channel)

    async def settled(self) -> None:
        """Wait until every inbound event received so far is applied, early receipts included."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        await asyncio.to_thread(self._settle_early_receipts)

    def _settle_early_receipts(self) -> None:
        with transaction(self.engine) as session:
            settle_early_receipts(session, at=clock.now())

    async def drain(self, *, limit: int = 500) -> dict[str, dispatch.BatchReport]:
        return {
            channel: await dispatch.drain(self.engine, transport, channel=channel, limit=limit)
            for channel, transport in self.transports.items()
        }

    async def reconcile(self, *, lease: dt.timedelta = dispatch.LEASE) -> dict[str, ReconcileReport]:
        """Settle what dead senders left ``sending`` for longer than ``lease``, channel by channel."""
        return {
            channel: await reconcile(self.engine, transport, channel=channel, lease=lease)
            for channel, transport in self.transports.items()
        }

    async def run(
        self,
        stop: asyncio.Event,
        *,
        idle_seconds: float = 1.0,
        limit: int = 500,
        lease: dt.timedelta = dispatch.LEASE,
    ) -> None:
        """Dispatch until ``stop`` is set, every channel on its own (a campaign of 700 000 SMS does not
        hold up e-mail); when nothing was due, wait ``idle_seconds`` before looking again. Messages a dead
        sender left behind are reconciled once their ``lease`` has passed."""
        async with asyncio.TaskGroup() as channels:
            for channel, transport in self.transports.items():
                channels.create_task(self._serve(channel, transport, stop, idle_seconds, limit, lease))

    async def _serve(
        self,
        channel: str,
        transport: Transport,
        stop: asyncio.Event,
        idle_seconds: float,
        limit: int,
        lease: dt.timedelta,
    ) -> None:
        while not stop.is_set():
            await reconcile(self.engine, transport, channel=channel, lease=lease)
            await dispatch.drain(self.engine, transport, channel=channel, limit=limit, stop=stop)
            await asyncio.to_thread(self._settle_early_receipts)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
