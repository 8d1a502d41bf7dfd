"""SMS dispatch throughput: N one-part Cyrillic messages through ``SmppTransport`` to the local SMSC, every
delivery receipt received, against the raw ``smpp34`` client at the same window in the same run.

The SMSC (:class:`lottocrm.messaging.gateways.smsc.LocalSmsc`) runs in a child process, so the sender and
the SMSC each have a core of their own, as a real SMSC would be elsewhere. Each run binds, submits N
messages with ``registered_delivery=1`` through ``window`` submissions in flight, and stops the clock when
the last of the N receipts has arrived. Submit latency is the time from handing a PDU to smpp34 to its
submit_sm_resp. Prints a Markdown block; ``--append`` adds it to bench/RESULTS.md.

    PYTHONPATH=src .venv/bin/python bench/sms_bench.py --messages 20000 --append
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import smpp34

from lottocrm.messaging.channels.base import DeliveryReceipt, Inbound, OutgoingMessage
from lottocrm.messaging.channels.sms.settings import SmppSettings
from lottocrm.messaging.channels.sms.transport import SmppTransport
from lottocrm.messaging.gateways.smsc import LocalSmsc
from lottocrm.messaging.sms_text import sms_parts, split_for_smpp

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_ID, PASSWORD = "bench", "bench"
TEXT = "Анна, ваш билет №{n:05d} выиграл 500 ₽! Приз ждёт вас в любой кассе."


@dataclass
class Run:
    name: str
    messages: int
    seconds: float
    latencies: list[float]
    receipts: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def _serve_smsc(conn: Connection) -> None:
    smsc = LocalSmsc(system_id=SYSTEM_ID, password=PASSWORD, receipt_delay=0.005)
    conn.send(smsc.start())
    conn.recv()
    conn.send((len(smsc.received), time.process_time()))
    smsc.stop()


async def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.005)


async def raw_run(port: int, *, messages: int, window: int, offset: int) -> Run:
    client = smpp34.Client("127.0.0.1", port, SYSTEM_ID, PASSWORD, bind_type="TRX", window_size=window,
                           inbound_capacity=max(1024, window * 16))  # fmt: skip
    smsc = await client.connect()
    receipts = 0

    async def read() -> None:
        nonlocal receipts
        while True:
            event = await smsc.next()
            if isinstance(event, smpp34.Disconnected):
                return
            if event.esm_class & 0x04:
                receipts += 1

    reader = asyncio.ensure_future(read())
    latencies: list[float] = []
    numbers = iter(range(offset, offset + messages))

    async def worker() -> None:
        for n in numbers:
            payload = split_for_smpp(TEXT.format(n=n))
            started = time.perf_counter()
            response = await smsc.submit_sm(
                f"7916{n:07d}", payload.parts[0], source_addr="LOTTO", source_addr_ton=5, dest_addr_ton=1,
                data_coding=payload.data_coding, registered_delivery=1,
            )  # fmt: skip
            latencies.append(time.perf_counter() - started)
            assert response.is_success, response

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(window)))
    await _wait_for(lambda: receipts >= messages, "raw receipts")
    seconds = time.perf_counter() - started
    reader.cancel()
    await smsc.unbind()
    return Run("raw smpp34 client", messages, seconds, latencies, receipts)


async def transport_run(port: int, *, messages: int, window: int, binds: int, batch: int, offset: int) -> Run:
    settings = SmppSettings(host="127.0.0.1", port=port, system_id=SYSTEM_ID, password=PASSWORD,
                            source_addr="LOTTO", window=window, binds=binds)  # fmt: skip
    transport = SmppTransport(settings=settings)
    receipts = 0

    async def on_inbound(item: Inbound) -> None:
        nonlocal receipts
        if isinstance(item, DeliveryReceipt) and item.status == "delivered":
            receipts += 1

    await transport.open(on_inbound=on_inbound)
    # Time each PDU where the transport hands it to smpp34, as the raw run does.
    latencies: list[float] = []
    for session in transport._sessions:
        submit = session.submit

        async def timed(*args: object, _submit=submit, **kwargs: object) -> smpp34.SubmitSmResp:
            started = time.perf_counter()
            response = await _submit(*args, **kwargs)
            latencies.append(time.perf_counter() - started)
            return response

        session.submit = timed  # type: ignore[method-assign]
    outgoing = [
        OutgoingMessage(message_id=n, channel="sms", to=f"+7916{n:07d}", body=TEXT.format(n=n))
        for n in range(offset, offset + messages)
    ]
    started = time.perf_counter()
    for first in range(0, messages, batch):
        results = await transport.send_many(outgoing[first : first + batch])
        assert all(result.accepted for result in results), [r for r in results if not r.accepted][:3]
    await _wait_for(lambda: receipts >= messages, "transport receipts")
    seconds = time.perf_counter() - started
    await transport.close()
    return Run(f"SmppTransport ({binds} bind{'s' if binds > 1 else ''}, send_many of {batch})", messages,
               seconds, latencies, receipts)  # fmt: skip


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


async def bench(args: argparse.Namespace, port: int) -> tuple[list[Run], str, str]:
    # Warm both paths (imports, first binds, the SMSC's caches) before the clock.
    await raw_run(port, messages=min(500, args.messages), window=args.window, offset=0)
    await transport_run(port, messages=min(500, args.messages), window=args.window, binds=args.binds,
                        batch=args.batch, offset=0)  # fmt: skip
    load_before = _load()
    runs = [
        await raw_run(port, messages=args.messages, window=args.window, offset=10_000_000),
        await transport_run(
            port,
            messages=args.messages,
            window=args.window,
            binds=args.binds,
            batch=args.batch,
            offset=20_000_000,
        ),  # fmt: skip
    ]
    return runs, load_before, _load()


def report(
    args: argparse.Namespace,
    runs: list[Run],
    load: tuple[str, str],
    received: int,
    cpu: tuple[float, float, float],
) -> str:
    raw = runs[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    parts = sms_parts(TEXT.format(n=0))
    lines = [
        f"## SMS over SMPP: SmppTransport vs the raw smpp34 client — {dt.date.today().isoformat()}",
        "",
        f"Command: `PYTHONPATH=src .venv/bin/python bench/sms_bench.py --messages {args.messages} "
        f"--window {args.window} --binds {args.binds} --batch {args.batch}` "
        f"(commit {commit.stdout.strip()}).",
        f"Machine: {_cpu()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, smpp34 {smpp34.__version__}. Load average (1/5/15 min) before / after "
        f"the measured runs: {load[0]} → {load[1]}.",
        f"Messages: one-part Cyrillic ({parts.encoding.upper()}, {parts.units} units), "
        "registered_delivery=1; the local SMSC in a child process answers each submit_sm and sends a "
        "receipt 5 ms later. The clock "
        f"stops at the last receipt. The SMSC received {received:,} messages in all (warm-up included). "
        f"CPU seconds over the whole script (warm-up included): sender {cpu[0]:.1f}, SMSC {cpu[1]:.1f}, "
        f"wall {cpu[2]:.1f}.",
        "",
        "| client | messages | receipts | seconds | messages/s with receipts | submit p50 ms | submit p99 ms "
        "| × raw |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.name} | {run.messages:,} | {run.receipts:,} | {run.seconds:.2f} | {run.rate:,.0f} "
            f"| {run.percentile(0.5):.2f} | {run.percentile(0.99):.2f} | {raw.rate / run.rate:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--binds", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1_000, help="messages per send_many call")
    parser.add_argument("--append", action="store_true", help="append the figures to bench/RESULTS.md")
    args = parser.parse_args()

    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve_smsc, args=(child,), daemon=True)
    server.start()
    port = parent.recv()
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    try:
        runs, before, after = asyncio.run(bench(args, port))
    finally:
        parent.send("stop")
        received, smsc_cpu = parent.recv()
        server.join(timeout=30)
    cpu = (time.process_time() - cpu_started, smsc_cpu, time.perf_counter() - wall_started)
    text = report(args, runs, (before, after), received, cpu)
    print(text)
    if args.append:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as results:
            results.write("\n" + text)


if __name__ == "__main__":
    main()
