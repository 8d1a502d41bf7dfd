"""Putting concatenated SMS parts back together (a long reply from a player; the local SMSC's view of what
we sent).

Parts of one message share (sender, recipient, reference, total) and may arrive in any order, or never:
a set that stays incomplete is forgotten after ``max_age`` seconds, and at most ``max_pending`` sets are
kept, so a flood of fragments cannot grow memory without bound.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from lottocrm.messaging.sms_text import Concatenation

PartsKey = tuple[str, str, int, int]


@dataclass
class _Pending:
    started: float
    # Part number → (its text, what the caller attached); a part sent twice counts once.
    parts: dict[int, tuple[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Reassembled:
    text: str
    parts: int
    # Whatever the caller attached to each part (the local SMSC keeps each part's message id), in part order.
    extras: list[object]


class PartCollector:
    def __init__(self, *, max_age: float = 600.0, max_pending: int = 10_000) -> None:
        self._pending: OrderedDict[PartsKey, _Pending] = OrderedDict()
        self._max_age = max_age
        self._max_pending = max_pending

    def add(
        self, *, sender: str, recipient: str, concatenation: Concatenation, text: str, extra: object = None
    ) -> Reassembled | None:
        """Keep one part; the whole message once its last missing part arrives. A part numbered outside
        1…total cannot belong to any message and is ignored."""
        if not 1 <= concatenation.seq <= concatenation.total:
            return None
        now = time.monotonic()
        self._forget_stale(now)
        key = (sender, recipient, concatenation.reference, concatenation.total)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending(started=now)
        pending.parts[concatenation.seq] = (text, extra)
        if len(pending.parts) < concatenation.total:
            return None
        del self._pending[key]
        ordered = [pending.parts[seq] for seq in sorted(pending.parts)]
        return Reassembled(
            text="".join(text for text, _ in ordered),
            parts=concatenation.total,
            extras=[extra for _, extra in ordered],
        )

    def _forget_stale(self, now: float) -> None:
        while self._pending:
            key, oldest = next(iter(self._pending.items()))
            if now - oldest.started <= self._max_age and len(self._pending) < self._max_pending:
                break
            del self._pending[key]
