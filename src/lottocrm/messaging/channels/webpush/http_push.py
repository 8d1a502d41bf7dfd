"""What web push and FCM share: both are one HTTP POST per message, sent many at a time, and both say
"not before" with ``Retry-After``."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Awaitable, Callable, Sequence

from lottocrm import clock
from lottocrm.messaging.channels.base import OutgoingMessage, SendResult, TransportError


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` (RFC 9110 §10.2.3) as seconds from now: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an offset-less one is read as such
        return None
    return max(0.0, (when - clock.now()).total_seconds())


async def send_concurrently(
    messages: Sequence[OutgoingMessage],
    *,
    concurrency: int,
    send_one: Callable[[OutgoingMessage], Awaitable[SendResult]],
) -> list[SendResult]:
    """``send_one`` for every message, ``concurrency`` at a time at most; results in the messages' order."""
    results: list[SendResult | None] = [None] * len(messages)
    pending = iter(enumerate(messages))

    async def sender() -> None:
        # The senders share one iterator: the event loop runs one at a time, so each message is taken once.
        for index, message in pending:
            results[index] = await send_one(message)

    await asyncio.gather(*(sender() for _ in range(min(concurrency, len(messages)))))
    return [result for result in results if result is not None]


def failed(
    message: OutgoingMessage, text: str, *, permanent: bool, reason: str, retry_after: float | None = None
) -> SendResult:
    """The result of a message the service did not take."""
    error = TransportError(text, permanent=permanent, reason=reason, retry_after=retry_after)
    return SendResult(message.message_id, error=error)
