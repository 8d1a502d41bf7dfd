"""Open SMTP connections, reused across messages.

A connection's handshake (TCP, EHLO, STARTTLS, AUTH) costs several round trips and a TLS key exchange, more
than the message itself, so connections stay open between messages. SMTP carries one transaction at a time
per connection, so the pool hands each connection to one sender at a time, and never opens more than
``LOTTOCRM_SMTP_CONNECTIONS`` of them.
"""

from __future__ import annotations

import asyncio
import ssl

import aiosmtplib

from lottocrm.messaging.channels.base import TransportError
from lottocrm.messaging.channels.email.replies import CONNECTION_ERRORS
from lottocrm.messaging.channels.email.settings import SmtpSettings


class SmtpPool:
    def __init__(self, *, settings: SmtpSettings) -> None:
        self._settings = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(settings.smtp_connections)
        self._closed = False
        self._tls_context = self._make_tls_context() if settings.uses_tls else None

    def _make_tls_context(self) -> ssl.SSLContext:
        ca_file = self._settings.smtp_ca_file
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    @property
    def _where(self) -> str:
        return f"{self._settings.smtp_host}:{self._settings.smtp_port}"

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self._settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            # Named explicitly: otherwise aiosmtplib asks the resolver for our FQDN on every connection.
            local_hostname=settings.helo_name,
            timeout=settings.smtp_timeout_seconds,
            use_tls=settings.smtp_implicit_tls,
            # Only when configured: an opportunistic upgrade to a certificate we cannot verify would fail
            # where plain delivery was intended.
            start_tls=settings.smtp_starttls,
            tls_context=self._tls_context,
            username=settings.smtp_user,
            password=password,
        )
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise TransportError(
                f"SMTP server {self._where} refused the login of {settings.smtp_user!r}: "
                f"{exc.code} {exc.message} (check LOTTOCRM_SMTP_USER and LOTTOCRM_SMTP_PASSWORD)",
                permanent=True,
                reason="auth",
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise TransportError(
                f"SMTP server {self._where} refused the session: {exc.code} {exc.message}",
                permanent=False,
                reason="connection",
            ) from None
        except (*CONNECTION_ERRORS, aiosmtplib.SMTPException) as exc:
            # aiosmtplib wraps a failed TLS handshake of implicit TLS in SMTPConnectError.
            tls_error = exc if isinstance(exc, ssl.SSLError) else exc.__cause__
            if isinstance(tls_error, ssl.SSLError):
                raise TransportError(
                    f"TLS with SMTP server {self._where} failed: {tls_error} "
                    "(LOTTOCRM_SMTP_CA_FILE names the CA to trust)",
                    permanent=True,
                    reason="tls",
                ) from None
            raise TransportError(
                f"cannot reach SMTP server {self._where}: {exc}", permanent=False, reason="connection"
            ) from None
        return client

    async def warm(self) -> None:
        """Open one connection now, so bad settings fail at ``open()`` rather than on the first message."""
        async with self._slots:
            self._idle.append(await self._connect())

    async def acquire(self) -> aiosmtplib.SMTP:
        """A connection for one transaction; give it back with :meth:`release`. Raises TransportError."""
        await self._slots.acquire()
        try:
            while self._idle:
                client = self._idle.pop()
                # aiosmtplib notices a server's idle-timeout close as it happens; such a client is spent.
                if client.is_connected:
                    return client
                client.close()
            return await self._connect()
        except BaseException:
            self._slots.release()
            raise

    def release(self, client: aiosmtplib.SMTP, *, reusable: bool) -> None:
        if reusable and client.is_connected and not self._closed:
            self._idle.append(client)
        else:
            client.close()
        self._slots.release()

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for client in idle:
            try:
                await client.quit()
            except (*CONNECTION_ERRORS, aiosmtplib.SMTPException):
                client.close()
