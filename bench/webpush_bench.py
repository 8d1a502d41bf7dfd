"""Web push throughput: N encrypted pushes through ``WebPushTransport`` to the local push endpoint, against
raw pywebpush (``webpush_async`` over one shared aiohttp session) at the same concurrency in the same run.

The endpoint runs in a child process (its own core), checks every VAPID token and decrypts every payload, as
a push service and the browser would between them; it counts what it accepted. Both clients encrypt each
message for its own subscription (a new ECDH key per message, as RFC 8291 requires). pywebpush signs a new
VAPID JWT per message; the transport signs one per push-service origin and reuses it. Both phases must be
accepted in full.

Prints a Markdown block; ``--append`` adds it to bench/RESULTS.md.

    PYTHONPATH=src .venv/bin/python bench/webpush_bench.py --messages 5000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import platform
import sys
import time
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp
from py_vapid import Vapid02
from pywebpush import webpush_async
from transport_timing import time_batches, uptime

from lottocrm.messaging.channels.base import OutgoingMessage
from lottocrm.messaging.channels.webpush import WebPushTransport, generate_vapid_keys, load_webpush_settings
from lottocrm.messaging.channels.webpush.transport import push_payload
from lottocrm.messaging.gateways.push_endpoint import PushEndpoint

SUBJECT = "mailto:push@lotto.example"


def _endpoint_process(control: Connection, subscriptions: int) -> None:
    async def serve() -> None:
        endpoint = PushEndpoint(keep_received=False)
        await endpoint.start()
        control.send([endpoint.new_subscription() for _ in range(subscriptions)])
        loop = asyncio.get_running_loop()
        while (command := await loop.run_in_executor(None, control.recv)) != "stop":
            if command == "count":
                control.send(endpoint.accepted_count)
        await endpoint.stop()

    asyncio.run(serve())


def _message(n: int, subscription: dict) -> OutgoingMessage:
    return OutgoingMessage(
        message_id=n,
        channel="webpush",
        to=json.dumps(subscription),
        subject="Розыгрыш сегодня в 20:00",
        body="Джекпот 300 млн ₽. Ваш билет № 0012345 уже участвует — проверьте результаты после тиража.",
        data={"draw": "1234", "url": "/draws/1234"},
    )


async def _raw(
    subscriptions: list[dict], messages: int, concurrency: int, private_key: str, exp: int | None = None
) -> float:
    """``exp``: the tokens' expiry (default: pywebpush's, from the wall clock)."""
    vapid = Vapid02.from_string(private_key)
    claims = {"sub": SUBJECT} if exp is None else {"sub": SUBJECT, "exp": exp}
    counter = iter(range(messages))

    async def sender(session: aiohttp.ClientSession) -> None:
        for n in counter:
            subscription = subscriptions[n % len(subscriptions)]
            data = push_payload(_message(n, subscription)).decode("utf-8")
            await webpush_async(
                subscription,
                data=data,
                vapid_private_key=vapid,
                vapid_claims=dict(claims),
                ttl=86_400,
                aiohttp_session=session,
            )

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(sender(session) for _ in range(concurrency)))
        return time.perf_counter() - started


async def _transport(
    subscriptions: list[dict], messages: int, concurrency: int, private_key: str, batch: int
) -> float:
    settings = load_webpush_settings(
        vapid_private_key=private_key, vapid_subject=SUBJECT, webpush_concurrency=concurrency
    )
    transport = WebPushTransport(settings=settings)
    await transport.open()
    batches = [
        [
            _message(n, subscriptions[n % len(subscriptions)])
            for n in range(start, min(start + batch, messages))
        ]
        for start in range(0, messages, batch)
    ]
    elapsed = await time_batches(transport, batches)
    await transport.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--subscriptions", type=int, default=1_000, help="distinct browsers pushed to in turn"
    )
    parser.add_argument(
        "--batch", type=int, default=1_000, help="messages per send_many call (the dispatcher's)"
    )
    parser.add_argument("--append", action="store_true", help="append the block to bench/RESULTS.md")
    args = parser.parse_args()

    keys = generate_vapid_keys()
    control, child_end = multiprocessing.Pipe()
    endpoint = multiprocessing.get_context("spawn").Process(
        target=_endpoint_process, args=(child_end, args.subscriptions), daemon=True
    )
    load_before = uptime()
    endpoint.start()
    subscriptions = control.recv()
    try:
        raw_seconds = asyncio.run(_raw(subscriptions, args.messages, args.concurrency, keys.private_key))
        control.send("count")
        after_raw = control.recv()
        ours_seconds = asyncio.run(
            _transport(subscriptions, args.messages, args.concurrency, keys.private_key, args.batch)
        )
        control.send("count")
        after_ours = control.recv()
    finally:
        control.send("stop")
        endpoint.join(timeout=10)
    load_after = uptime()
    if (after_raw, after_ours) != (args.messages, 2 * args.messages):
        raise SystemExit(
            f"the endpoint accepted {after_raw} then {after_ours}, expected {args.messages} each"
        )

    raw_rate, ours_rate = args.messages / raw_seconds, args.messages / ours_seconds
    command = " ".join(["PYTHONPATH=src", sys.executable, *sys.argv])
    block = "\n".join(
        [
            "",
            f"## Web push: WebPushTransport to the local push endpoint — {dt.date.today().isoformat()}",
            "",
            f"Command: `{command}`.",
            f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, pywebpush {version('pywebpush')}, aiohttp {version('aiohttp')}. "
            "Endpoint (uvicorn; VAPID check + aes128gcm decryption per push) in a child process.",
            f"Load before: `{load_before}`; after: `{load_after}`.",
            "",
            "| client | pushes | concurrency | seconds | pushes/s | × raw |",
            "|---|---|---|---|---|---|",
            f"| raw pywebpush `webpush_async` (JWT signed per push, aiohttp) | {args.messages:,} | "
            f"{args.concurrency} | {raw_seconds:.2f} | {raw_rate:,.0f} | 1.00 |",
            f"| WebPushTransport (JWT per origin, aiohttp; batches of {args.batch:,}) | {args.messages:,} | "
            f"{args.concurrency} | {ours_seconds:.2f} | {ours_rate:,.0f} | {ours_rate / raw_rate:.2f} |",
            "",
        ]
    )
    print(block)
    if args.append:
        with Path(__file__).with_name("RESULTS.md").open("a", encoding="utf-8") as results:
            results.write(block)


if __name__ == "__main__":
    main()
