"""The local SMTP sink's message search, as a mail provider's status API answers it.

SMTP has no way to ask a server afterwards whether it took a message; providers answer it over HTTP, by the
``Message-ID`` header (Mailgun's events, Postmark's outbound search). This is that API for the sink:
``GET /v1/messages?ref=m12&ref=m13`` → ``{"messages": {"m12": "<m12.5f2c…@host>"}}``, one entry per
reference the sink accepted mail for. A reference is the part of the ``Message-ID`` before its first dot,
which our transport writes as ``m`` and the outbox id (``compose.message_id_header``).
"""

from __future__ import annotations

import re

from aiohttp import web

_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<(m\d+)\.[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)
MAX_REFERENCES = 1000


class MailIndex:
    """Reference → the ``Message-ID`` of mail the sink accepted."""

    def __init__(self) -> None:
        self.taken: dict[str, str] = {}

    def add(self, raw: bytes) -> None:
        header_end = raw.find(b"\r\n\r\n")
        found = _MESSAGE_ID.search(raw, 0, header_end if header_end >= 0 else len(raw))
        if found is not None:
            self.taken[found.group(2).decode("ascii")] = found.group(1).decode("ascii")


class MailStatusServer:
    """``await server.start()`` on loopback; :attr:`url` is the value for ``LOTTOCRM_SMTP_STATUS_URL``."""

    def __init__(self, index: MailIndex, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.index, self.host, self.port = index, host, port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1/messages"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/messages", self._search)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _search(self, request: web.Request) -> web.Response:
        references = request.query.getall("ref", [])
        if len(references) > MAX_REFERENCES:
            return web.json_response({"error": f"at most {MAX_REFERENCES} references a request"}, status=400)
        found = {ref: self.index.taken[ref] for ref in references if ref in self.index.taken}
        return web.json_response({"messages": found})
