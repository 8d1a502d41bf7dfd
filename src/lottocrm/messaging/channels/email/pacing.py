"""An even pace for sends: at most ``per_second`` messages a second across every connection.

Providers state their limits per second (and punish bursts with 421s), so sends are spaced evenly rather
than let through in bursts up to a bucket's size.
"""

from __future__ import annotations

import asyncio


class SendPace:
    """``await pace.wait()`` before each send; ``per_second`` 0 means no limit."""

    def __init__(self, *, per_second: float) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next_slot = 0.0

    async def wait(self) -> None:
        if not self._interval:
            return
        now = asyncio.get_running_loop().time()
        # Claim the slot before sleeping: the event loop runs one coroutine at a time, so no two senders
        # can claim the same slot, and a sender that was idle cannot bank slots for a burst.
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)
