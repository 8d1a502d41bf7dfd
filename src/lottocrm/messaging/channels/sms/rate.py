"""How fast we submit: a token bucket per transport that backs off when the SMSC says we are too fast.

Carriers count submit_sm PDUs per second per account and answer ESME_RTHROTTLED (or ESME_RMSGQFUL) above
it. Retrying at the same pace only collects more refusals, so on each refusal the rate is halved
(multiplicative decrease) and then grows back by a quarter each calm second (towards the configured
ceiling, or towards the pace that was refused, after which the limit is lifted when none was configured).
"""

from __future__ import annotations

import asyncio
import collections
import time

# Carriers measure per second: after a decrease, refusals within the next second are the old pace's.
_DECREASE_EVERY = 1.0


class AdaptiveRate:
    def __init__(self, *, ceiling: float | None, floor: float = 1.0) -> None:
        self.ceiling = ceiling
        self.floor = floor
        self.rate: float | None = ceiling
        # Slots are handed out on a timeline so concurrent senders queue fairly instead of racing for
        # tokens; a slot may lie up to this many seconds in the past (a small burst after a pause).
        self._burst_seconds = 0.1
        self._next_slot = 0.0
        self._recent: collections.deque[float] = collections.deque()
        self._last_change = 0.0
        self._recover_to: float | None = None

    def observed_rate(self) -> float:
        """Submissions in the last second."""
        self._forget_old(time.monotonic())
        return float(len(self._recent))

    def _forget_old(self, now: float) -> None:
        while self._recent and now - self._recent[0] > 1.0:
            self._recent.popleft()

    async def acquire(self) -> float:
        """Wait for the next submission slot; returns its time (hand it to :meth:`throttled`)."""
        now = time.monotonic()
        self._recent.append(now)
        if len(self._recent) > 4096:
            self._forget_old(now)
        self._recover(now)
        if self.rate is None:
            return now
        slot = max(self._next_slot, now - self._burst_seconds)
        self._next_slot = slot + 1.0 / self.rate
        if slot > now:
            await asyncio.sleep(slot - now)
        return max(slot, now)

    def throttled(self, sent_at: float) -> float:
        """The SMSC refused a submission slotted at ``sent_at`` for speed: halve the rate, unless that
        submission went out before the last change or within the second after it. Those tell us nothing
        about the new pace: they were in flight, or the SMSC's one-second window still counts the burst
        that was refused; halving for each would take the rate to the floor. Returns a wait in seconds."""
        if self.rate is not None and sent_at < self._last_change + _DECREASE_EVERY:
            return max(1.0 / self.rate, 0.5)
        now = time.monotonic()
        base = self.rate if self.rate is not None else max(self.observed_rate(), self.floor)
        if self._recover_to is None:
            self._recover_to = self.ceiling if self.ceiling is not None else base
        self.rate = max(self.floor, base / 2)
        self._last_change = now
        self._next_slot = max(self._next_slot, now)
        return max(1.0 / self.rate, 0.5)

    def _recover(self, now: float) -> None:
        if self._recover_to is None or self.rate is None or now - self._last_change < 1.0:
            return
        self.rate *= 1.25
        self._last_change = now
        if self.rate >= self._recover_to:
            self.rate = self.ceiling
            self._recover_to = None
