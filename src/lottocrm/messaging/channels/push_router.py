"""The gate's one "push" channel over two services: a browser's subscription goes by web push, an app's
registration token by FCM. The address decides: a web push address is the subscription's JSON (it starts
with ``{``), an FCM token never does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lottocrm.messaging.channels.base import (
    InboundHandler,
    OutgoingMessage,
    SendResult,
    Transport,
    TransportError,
)


def is_web_subscription(address: str) -> bool:
    return address.lstrip().startswith("{")


class PushRouter:
    """A :class:`Transport` for the "push" channel; either service may be absent (not configured), and a
    message for it then waits, retried, until it is."""

    channel = "push"

    def __init__(self, *, web: Transport | None = None, app: Transport | None = None) -> None:
        if web is None and app is None:
            raise ValueError("a push router needs web push, FCM or both")
        self.web, self.app = web, app

    def _services(self) -> list[Transport]:
        return [service for service in (self.web, self.app) if service is not None]

    async def open(self, on_inbound: InboundHandler | None = None) -> None:
        opened: list[Transport] = []
        try:
            for service in self._services():
                await service.open(on_inbound)
                opened.append(service)
        except BaseException:
            for service in opened:
                await service.close()
            raise

    async def close(self) -> None:
        for service in self._services():
            await service.close()

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        web = [m for m in messages if is_web_subscription(m.to)]
        app = [m for m in messages if not is_web_subscription(m.to)]
        web_results, app_results = await asyncio.gather(
            _send(self.web, web, "web push"), _send(self.app, app, "FCM")
        )
        by_id = {result.message_id: result for result in (*web_results, *app_results)}
        return [by_id[message.message_id] for message in messages]


async def _send(service: Transport | None, messages: list[OutgoingMessage], name: str) -> list[SendResult]:
    if not messages:
        return []
    if service is None:
        error = TransportError(
            f"{name} is not configured for the push channel", permanent=False, reason="not_configured"
        )
        return [SendResult(message.message_id, error=error) for message in messages]
    return await service.send_many(messages)
