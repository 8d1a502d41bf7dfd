"""Asking the mail provider's status API which of our messages it took (``SmtpTransport.lookup``)."""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp

from lottocrm.messaging.channels.base import TransportError

# References per request: a URL stays well below the 8 KB most servers accept.
_BATCH = 200


async def look_up_references(
    url: str, message_ids: Sequence[int], *, timeout: float
) -> dict[int, str | None]:
    """Outbox id → the ``Message-ID`` the provider holds for it, or None when it took none. Raises a temporary
    :class:`TransportError` when the API cannot answer (nothing is concluded then)."""
    answers: dict[int, str | None] = dict.fromkeys(message_ids)
    ids = list(message_ids)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            try:
                async with session.get(url, params=[("ref", f"m{i}") for i in batch]) as response:
                    if response.status != 200:
                        text = (await response.text())[:200]
                        raise TransportError(
                            f"the mail status API answered {response.status}: {text}",
                            permanent=False,
                            reason="lookup_failed",
                        )
                    found = (await response.json()).get("messages", {})
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                raise TransportError(
                    f"the mail status API could not be asked: {exc}", permanent=False, reason="lookup_failed"
                ) from None
            for message_id in batch:
                value = found.get(f"m{message_id}")
                answers[message_id] = value if isinstance(value, str) else None
    return answers
