"""What the channel benches share: timing batches through a transport, and the machine's load."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence

from lottocrm.messaging.channels.base import OutgoingMessage, Transport


async def time_batches(transport: Transport, batches: Sequence[Sequence[OutgoingMessage]]) -> float:
    """Seconds to send every batch through an open transport; any refusal stops the bench."""
    started = time.perf_counter()
    for chunk in batches:
        results = await transport.send_many(chunk)
        if not all(result.accepted for result in results):
            raise SystemExit(f"refused: {next(r.error for r in results if r.error)}")
    return time.perf_counter() - started


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
