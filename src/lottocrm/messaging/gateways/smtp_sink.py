"""A local SMTP server (aiosmtpd) on loopback that accepts mail and keeps it: for tests, the demo, benchmarks.

It speaks real SMTP: STARTTLS or implicit TLS with a certificate the caller gives, AUTH against a table of
users, and refusals on cue: RCPT to an address starting ``soft-bounce@`` gets ``451`` (try later) and one
starting ``hard-bounce@`` gets ``550`` (no such user). It can also write the reports a real mail system sends
back later: a DSN for a recipient (:meth:`SmtpSink.make_dsn`) and an ARF complaint
(:meth:`SmtpSink.make_complaint`).

Each accepted message is kept as a :class:`ReceivedEmail` (``sink.received``) and passed to ``on_received``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import itertools
import re
import ssl
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from functools import cached_property
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from lottocrm import clock
from lottocrm.messaging.gateways.mail_status import MailIndex

SINK_HOSTNAME = "sink.lottocrm.localhost"
_report_numbers = itertools.count(1)


@dataclass(frozen=True)
class ReceivedEmail:
    """One message as the sink accepted it. The headers and bodies are decoded on first use, so a benchmark
    that only counts messages does not pay for parsing them."""

    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes
    received_at: dt.datetime
    over_tls: bool
    login: str | None

    @cached_property
    def parsed(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)  # type: ignore[return-value]

    def header(self, name: str) -> str | None:
        """A header's decoded value (RFC 2047 words in UTF-8 and all), or None when absent."""
        value = self.parsed.get(name)
        return None if value is None else str(value)

    @property
    def subject(self) -> str:
        return self.header("Subject") or ""

    @property
    def message_id(self) -> str | None:
        return self.header("Message-ID")

    @property
    def text(self) -> str:
        part = self.parsed.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str | None:
        part = self.parsed.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None


OnReceivedEmail = Callable[[ReceivedEmail], Awaitable[None] | None]


class SmtpSink:
    """``await sink.start()`` listens on ``sink.host``:``sink.port`` (ephemeral); ``await sink.stop()``.

    ``tls_context`` (a server context with the sink's certificate) enables STARTTLS, or TLS from the first
    byte with ``implicit_tls``; ``users`` (login → password) makes AUTH required (after TLS).
    ``soft_bounce_prefix`` / ``hard_bounce_prefix`` may be changed while running (None: accept everyone).
    """

    def __init__(
        self,
        *,
        on_received: OnReceivedEmail | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        require_starttls: bool = False,
        users: Mapping[str, str] | None = None,
        soft_bounce_prefix: str | None = "soft-bounce@",
        hard_bounce_prefix: str | None = "hard-bounce@",
        keep_received: bool = True,
        accept_delay: float = 0.0,
    ) -> None:
        """``accept_delay``: seconds each DATA waits before its 250 (a slow provider, so a test can stop a
        sender in the middle of a batch)."""
        if (implicit_tls or require_starttls) and tls_context is None:
            raise ValueError(
                "implicit_tls and require_starttls need a tls_context with the sink's certificate"
            )
        self.host = host
        self.port = port
        self.soft_bounce_prefix = soft_bounce_prefix
        self.hard_bounce_prefix = hard_bounce_prefix
        self.received: list[ReceivedEmail] = []
        self.accepted_count = 0
        self.connections_opened = 0
        self._on_received = on_received
        self._tls_context = tls_context
        self._implicit_tls = implicit_tls
        self._require_starttls = require_starttls
        self._users = dict(users or {})
        self._keep_received = keep_received
        self.accept_delay = accept_delay
        # What the status API answers from (:mod:`.mail_status`): every message accepted, by reference.
        self.index = MailIndex()
        self._queue_ids = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: self._session_protocol(loop),
            host=self.host,
            port=self.port,
            ssl=self._tls_context if self._implicit_tls else None,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Closing the server only stops new connections; a client's pooled session would otherwise live on.
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        await self._server.wait_closed()
        self._server = None

    def _session_protocol(self, loop: asyncio.AbstractEventLoop) -> SMTP:
        session = SMTP(
            _Handler(self),
            hostname=SINK_HOSTNAME,
            tls_context=None if self._implicit_tls else self._tls_context,
            require_starttls=self._require_starttls,
            authenticator=self._authenticate if self._users else None,
            auth_required=bool(self._users),
            # With implicit TLS the whole session is encrypted, which aiosmtpd's STARTTLS check cannot see.
            auth_require_tls=not self._implicit_tls,
            enable_SMTPUTF8=True,
            loop=loop,
        )
        self._sessions.add(session)
        self.connections_opened += 1
        return session

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        ok = self._users.get(login) == auth_data.password.decode("utf-8", "replace")
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)

    def refusal_for(self, address: str) -> str | None:
        """The reply RCPT gets for ``address`` when the sink is told to refuse it."""
        lowered = address.lower()
        if self.soft_bounce_prefix and lowered.startswith(self.soft_bounce_prefix):
            return "451 4.3.0 Temporary local problem, try again later"
        if self.hard_bounce_prefix and lowered.startswith(self.hard_bounce_prefix):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        return None

    async def _accept(self, received: ReceivedEmail) -> str:
        if self.accept_delay:
            await asyncio.sleep(self.accept_delay)
        self.accepted_count += 1
        self.index.add(received.raw)
        if self._keep_received:
            self.received.append(received)
        if self._on_received is not None:
            outcome = self._on_received(received)
            if inspect.isawaitable(outcome):
                await outcome
        return f"250 2.0.0 Ok: queued as S{next(self._queue_ids)}"

    def make_dsn(
        self,
        received: ReceivedEmail,
        *,
        recipient: str | None = None,
        status: str = "5.1.1",
        diagnostic: str = "smtp; 550 5.1.1 The email account that you tried to reach does not exist",
    ) -> bytes:
        """The RFC 3464 report a remote mail system would send to ``received``'s envelope sender."""
        failed = recipient or received.recipients[0]
        action = "failed" if status.startswith("5") else "delayed"
        return _report(
            received,
            report_type="delivery-status",
            subject="Undelivered Mail Returned to Sender" if action == "failed" else "Delayed Mail",
            human=f"Your message to <{failed}> could not be delivered: {diagnostic}\n",
            machine_type="message/delivery-status",
            machine=(
                f"Reporting-MTA: dns; {SINK_HOSTNAME}\n"
                f"Arrival-Date: {format_datetime(received.received_at)}\n\n"
                f"Final-Recipient: rfc822; {failed}\nOriginal-Recipient: rfc822; {failed}\nAction: {action}\n"
                f"Status: {status}\nRemote-MTA: dns; mx.example.invalid\nDiagnostic-Code: {diagnostic}\n"
            ),
        )

    def make_complaint(self, received: ReceivedEmail, *, feedback_type: str = "abuse") -> bytes:
        """The RFC 5965 (ARF) report a mailbox provider sends when the recipient marks the message as spam."""
        return _report(
            received,
            report_type="feedback-report",
            subject="Complaint about a message you sent",
            human="This is an email abuse report for a message you sent.\n",
            machine_type="message/feedback-report",
            machine=(
                f"Feedback-Type: {feedback_type}\nUser-Agent: lottocrm-sink/1\nVersion: 1\n"
                f"Original-Mail-From: <{received.mail_from}>\nOriginal-Rcpt-To: <{received.recipients[0]}>\n"
                f"Arrival-Date: {format_datetime(received.received_at)}\nReported-Domain: {SINK_HOSTNAME}\n"
            ),
        )


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    # aiosmtpd finds the hooks by these names.
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self._sink.refusal_for(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        transport = server.transport
        received = ReceivedEmail(
            mail_from=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            raw=raw,
            received_at=clock.now(),
            over_tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
            login=session.auth_data if isinstance(session.auth_data, str) else None,
        )
        return await self._sink._accept(received)


def _report(
    received: ReceivedEmail, *, report_type: str, subject: str, human: str, machine_type: str, machine: str
) -> bytes:
    """A ``multipart/report``: the human part, the machine-readable part, and the original's headers."""
    boundary = f"=_report_{next(_report_numbers)}"
    headers = re.split(rb"\r?\n\r?\n", received.raw, maxsplit=1)[0]
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@{SINK_HOSTNAME}>",
        f"To: <{received.mail_from}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(clock.now())}",
        f"Message-ID: <report.{next(_report_numbers)}@{SINK_HOSTNAME}>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type={report_type}; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=utf-8",
        "",
        human,
        f"--{boundary}",
        f"Content-Type: {machine_type}",
        "",
        machine,
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        "",
    ]
    text = "\n".join(lines).replace("\n", "\r\n").encode("utf-8")
    return text + headers + f"\r\n\r\n--{boundary}--\r\n".encode()
