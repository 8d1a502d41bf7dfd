"""The "call" channel's transport: its provider is our own operator queue (:mod:`.queue`).

A message that fits today's capacity becomes a task (``provider_id`` ``call-task:<id>``); one that does not
gets a :class:`TransportError` with reason ``queue_full`` and ``retry_after`` the start of the next working
day, which the dispatcher treats as a wait, not a failed attempt. ``lookup`` answers from the tasks, so a
sender killed after filing never files twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine

from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.call_list.queue import DEFAULT_QUEUE, file_calls, next_working_day_start
from lottocrm.messaging.channels.base import InboundHandler, OutgoingMessage, SendResult, TransportError

QUEUE_FULL = "queue_full"


def provider_id(task_id: int) -> str:
    return f"call-task:{task_id}"


class CallListTransport:
    channel = "call"
    can_look_up = True

    def __init__(self, engine: Engine, *, queue: str = DEFAULT_QUEUE) -> None:
        self._engine = engine
        self.queue = queue

    async def open(self, on_inbound: InboundHandler | None = None) -> None:
        """Nothing to connect: the queue is in our own database."""

    async def close(self) -> None:
        """Nothing to disconnect."""

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        return await asyncio.to_thread(self._file, list(messages))

    def _file(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        now = clock.now()
        with transaction(self._engine) as session:
            filed = file_calls(
                session, queue=self.queue, message_ids=[m.message_id for m in messages], at=now
            )
        wait = (next_working_day_start(now) - now).total_seconds()
        results = []
        for item in filed:
            if item.task_id is not None:
                results.append(SendResult(item.message_id, provider_id=provider_id(item.task_id)))
                continue
            error = TransportError(
                f"the {self.queue!r} call queue is full today (or today is a day off): the call waits for "
                "the next working day",
                permanent=False,
                reason=QUEUE_FULL,
                retry_after=wait,
            )
            results.append(SendResult(item.message_id, error=error))
        return results

    async def lookup(self, message_ids: Sequence[int]) -> dict[int, str | None]:
        def read() -> dict[int, str | None]:
            with transaction(self._engine) as session:
                rows = session.execute(
                    select(CallTask.message_id, CallTask.id).where(CallTask.message_id.in_(list(message_ids)))
                ).tuples()
                found = {message_id: provider_id(task_id) for message_id, task_id in rows}
            return {message_id: found.get(message_id) for message_id in message_ids}

        return await asyncio.to_thread(read)
