"""The local SMSC's front door: checks each bind's system_id and password, then relays the session.

smpp34's Python server accepts every bind (its bridge does not show the password), so the local SMSC
listens here instead: the gate reads the first PDU, answers a wrong bind with the proper ``bind_*_resp``
status (ESME_RINVSYSID, ESME_RINVPASWD, or whatever refusal a test asks for) and closes, and relays an
accepted session byte for byte to the smpp34 server on an internal port. It is also what lets a test cut
every connection at once, as a network failure would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Callable

log = logging.getLogger("lottocrm.messaging.smsc")

ESME_RINVBNDSTS = 0x04
_BIND_COMMANDS = {0x00000001, 0x00000002, 0x00000009}  # bind_receiver, bind_transmitter, bind_transceiver
_GENERIC_NACK = 0x80000000
_RESPONSE_BIT = 0x80000000
# A bind PDU is small: four short C-octet strings and three bytes.
_MAX_BIND_LENGTH = 1024

# (system_id, password) → None to accept, or the command_status to refuse with.
BindCheck = Callable[[str, str], int | None]


def _c_strings(body: bytes, count: int) -> list[str]:
    fields = body.split(b"\x00", count)[:count]
    return [value.decode("latin-1") for value in fields] + [""] * (count - len(fields))


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


class BindGate:
    def __init__(self, *, host: str, inner_port: int, check: BindCheck) -> None:
        self._host = host
        self._inner_port = inner_port
        self._check = check
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.admitted = 0

    async def listen(self, port: int) -> int:
        """Start accepting on ``port`` (0: an ephemeral one); returns the port."""
        self._server = await asyncio.start_server(self._admit, self._host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drop_all()

    async def drop_all(self) -> None:
        """Cut every relayed session, both ways."""
        for outer, inner in list(self._links):
            await _close(outer)
            await _close(inner)

    async def _admit(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            header = await reader.readexactly(16)
            length, command_id, _, sequence = struct.unpack(">IIII", header)
            if not 16 <= length <= _MAX_BIND_LENGTH:
                await _close(writer)
                return
            body = await reader.readexactly(length - 16)
        except (asyncio.IncompleteReadError, ConnectionError):
            await _close(writer)
            return
        if command_id not in _BIND_COMMANDS:
            writer.write(struct.pack(">IIII", 16, _GENERIC_NACK, ESME_RINVBNDSTS, sequence))
            await _close(writer)
            return
        system_id, password = _c_strings(body, 2)
        refusal = self._check(system_id, password)
        if refusal is not None:
            log.info("local SMSC refused a bind from %r with status 0x%02X", system_id, refusal)
            # An error response carries no body (SMPP 3.4 §4.1: "not returned if command_status is non-zero").
            writer.write(struct.pack(">IIII", 16, command_id | _RESPONSE_BIT, refusal, sequence))
            await _close(writer)
            return
        inner_reader, inner_writer = await asyncio.open_connection(self._host, self._inner_port)
        inner_writer.write(header + body)
        link = (writer, inner_writer)
        self._links.add(link)
        self.admitted += 1
        try:
            await asyncio.gather(_pipe(reader, inner_writer), _pipe(inner_reader, writer))
        finally:
            self._links.discard(link)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        # One side gone ends the session on both: an ESME must see its SMSC go, and the reverse.
        await _close(writer)
