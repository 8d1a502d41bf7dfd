"""The sandbox outbox: what the local gateways (``lottocrm gateways``, the demo) received, kept in the
store so a person can see that a message really went over SMPP, SMTP or web push, and what it said.

Gateways report from their own threads and event loops; :class:`SandboxRecorder` queues the reports and a
writer thread inserts them in batches, so a gateway taking 1 000 messages a second is never held up by the
database.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from typing import Any

from sqlalchemy import JSON, Index, String, Text, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm import clock
from lottocrm.db.base import Base, BigId, UtcDateTime

GATEWAYS = ("sms", "email", "push")


class SandboxMessage(Base):
    __tablename__ = "sandbox_messages"
    __table_args__ = (Index("ix_sandbox_messages_gateway_at", "gateway", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gateway: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SandboxRecorder:
    """``record(gateway, recipient, text, ...)`` from any thread; rows reach the store within ``interval``."""

    def __init__(self, engine: Engine, *, interval: float = 0.2, batch: int = 1000) -> None:
        self._engine = engine
        self._interval = interval
        self._batch = batch
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._write, name="sandbox-recorder", daemon=True)
        self._thread.start()

    def record(
        self,
        gateway: str,
        *,
        recipient: str,
        text: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._queue.put(
            {
                "gateway": gateway,
                "recipient": recipient[:254],
                "subject": subject[:300] if subject else None,
                "text": text,
                "at": clock.now(),
                "detail": detail or {},
            }
        )

    def close(self) -> None:
        """Write what is queued, then stop."""
        self._queue.put(None)
        self._thread.join()

    def _write(self) -> None:
        stopping = False
        while not stopping:
            rows: list[dict[str, Any]] = []
            try:
                item = self._queue.get(timeout=self._interval)
                while True:
                    if item is None:
                        stopping = True
                        break
                    rows.append(item)
                    if len(rows) >= self._batch:
                        break
                    item = self._queue.get_nowait()
            except queue.Empty:
                pass
            if rows:
                with self._engine.begin() as connection:
                    connection.execute(insert(SandboxMessage), rows)
