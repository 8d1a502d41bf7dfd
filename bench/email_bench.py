"""E-mail throughput: N messages of ~1 KB Cyrillic text through ``SmtpTransport`` to the local SMTP sink,
against raw aiosmtplib over the same number of connections in the same run.

The sink runs in a child process (its own core and event loop), as a real MTA would be another process; it
only counts what it accepts. The raw baseline opens C aiosmtplib connections and sends one pre-built message
per transaction (``sendmail`` of the same bytes, no e-mail composition): the protocol's ceiling from this
client. The transport builds each ``EmailMessage`` (Message-ID, UTF-8 headers, List-Unsubscribe) as it would
in production. Both phases must be accepted in full by the sink, or the script fails.

Prints a Markdown block; ``--append`` adds it to bench/RESULTS.md.

    PYTHONPATH=src .venv/bin/python bench/email_bench.py --messages 20000 --connections 16
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import platform
import sys
import time
from email.message import EmailMessage
from multiprocessing.connection import Connection
from pathlib import Path

import aiosmtplib
from transport_timing import time_batches, uptime

from lottocrm.messaging.channels.base import OutgoingMessage
from lottocrm.messaging.channels.email import SmtpTransport, load_smtp_settings
from lottocrm.messaging.gateways.smtp_sink import SmtpSink

BOUNCES = "bounces@lotto.example"
SENDER = "Лото <news@lotto.example>"
# ~1 KB of UTF-8 (574 characters): a typical service letter in Russian.
TEXT = (
    "Здравствуйте, Анна Сергеевна!\n\n"
    "Ваш билет № 0012345 в тираже № 1234 выиграл 1 500 ₽. Выигрыш до 100 000 ₽ можно получить в любом пункте "
    "продаж или перевести на карту в личном кабинете. Срок получения — 180 дней со дня тиража.\n\n"
    "Напоминаем: в субботу состоится юбилейный тираж с призовым фондом 500 млн ₽. Билеты можно купить "
    "в приложении, на сайте и в пунктах продаж. Участвуйте в акции «Двойной шанс»: каждый второй билет "
    "участвует в дополнительном розыгрыше.\n\n"
    "Спасибо, что играете с нами. Удачи в следующих тиражах!\n"
    "Служба поддержки работает круглосуточно: 8 800 000-00-00.\n"
)
UNSUBSCRIBE = {
    "List-Unsubscribe": "<https://lotto.example/u/3f9a2c>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def _sink_process(control: Connection) -> None:
    async def serve() -> None:
        sink = SmtpSink(keep_received=False)
        await sink.start()
        control.send(sink.port)
        loop = asyncio.get_running_loop()
        while (command := await loop.run_in_executor(None, control.recv)) != "stop":
            if command == "count":
                control.send(sink.accepted_count)
        await sink.stop()

    asyncio.run(serve())


def _messages(count: int, offset: int) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            message_id=offset + n,
            channel="email",
            to=f"player{offset + n}@example.com",
            subject="Ваш билет выиграл",
            body=TEXT,
            headers=UNSUBSCRIBE,
        )
        for n in range(count)
    ]


def _raw_bytes() -> bytes:
    mail = EmailMessage()
    mail["From"] = SENDER
    mail["To"] = "player@example.com"
    mail["Subject"] = "Ваш билет выиграл"
    mail["Message-ID"] = "<m1.0@lotto.example>"
    for name, value in UNSUBSCRIBE.items():
        mail[name] = value
    mail.set_content(TEXT)
    return mail.as_bytes()


async def _raw(port: int, messages: int, connections: int) -> float:
    payload = _raw_bytes()
    clients = [
        aiosmtplib.SMTP(hostname="127.0.0.1", port=port, local_hostname="lotto.example")
        for _ in range(connections)
    ]
    for client in clients:
        await client.connect()
    counter = iter(range(messages))

    async def sender(client: aiosmtplib.SMTP) -> None:
        for n in counter:
            await client.sendmail(BOUNCES, [f"raw{n}@example.com"], payload)

    started = time.perf_counter()
    await asyncio.gather(*(sender(client) for client in clients))
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.quit()
    return elapsed


async def _transport(port: int, messages: int, connections: int, batch: int) -> float:
    settings = load_smtp_settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_connections=connections,
        smtp_bounce_address=BOUNCES,
        smtp_from=SENDER,
    )
    transport = SmtpTransport(settings=settings)
    await transport.open()
    # Open every connection before the clock starts, as the raw client's are: the steady state is measured.
    await transport.send_many(_messages(connections, 10**9))
    batches = [_messages(min(batch, messages - start), start) for start in range(0, messages, batch)]
    elapsed = await time_batches(transport, batches)
    await transport.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--batch", type=int, default=1_000, help="messages per send_many call (the dispatcher's)"
    )
    parser.add_argument("--append", action="store_true", help="append the block to bench/RESULTS.md")
    args = parser.parse_args()

    control, child_end = multiprocessing.Pipe()
    sink = multiprocessing.get_context("spawn").Process(target=_sink_process, args=(child_end,), daemon=True)
    load_before = uptime()
    sink.start()
    port = control.recv()
    try:
        raw_seconds = asyncio.run(_raw(port, args.messages, args.connections))
        control.send("count")
        after_raw = control.recv()
        ours_seconds = asyncio.run(_transport(port, args.messages, args.connections, args.batch))
        control.send("count")
        after_ours = control.recv()
    finally:
        control.send("stop")
        sink.join(timeout=10)
    load_after = uptime()
    if (after_raw, after_ours) != (args.messages, 2 * args.messages + args.connections):
        raise SystemExit(
            f"the sink accepted {after_raw} then {after_ours}, expected {args.messages} each phase"
        )

    raw_rate, ours_rate = args.messages / raw_seconds, args.messages / ours_seconds
    command = " ".join(["PYTHONPATH=src", sys.executable, *sys.argv])
    block = "\n".join(
        [
            "",
            f"## E-mail: SmtpTransport to the local SMTP sink — {dt.date.today().isoformat()}",
            "",
            f"Command: `{command}`.",
            f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, aiosmtplib {aiosmtplib.__version__}. "
            "Sink (aiosmtpd) in a child process.",
            f"Load before: `{load_before}`; after: `{load_after}`.",
            "",
            "| client | messages | connections | seconds | messages/s | × raw |",
            "|---|---|---|---|---|---|",
            f"| raw aiosmtplib `sendmail` (pre-built bytes) | {args.messages:,} | {args.connections} | "
            f"{raw_seconds:.2f} | {raw_rate:,.0f} | 1.00 |",
            f"| SmtpTransport (composes each message; batches of {args.batch:,}) | {args.messages:,} | "
            f"{args.connections} | {ours_seconds:.2f} | {ours_rate:,.0f} | {ours_rate / raw_rate:.2f} |",
            "",
        ]
    )
    print(block)
    if args.append:
        with Path(__file__).with_name("RESULTS.md").open("a", encoding="utf-8") as results:
            results.write(block)


if __name__ == "__main__":
    main()
