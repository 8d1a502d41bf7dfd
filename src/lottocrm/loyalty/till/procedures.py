"""The till's redemption calls on PostgreSQL: one autocommitted function call, one round trip each.

``loyalty_till_authorize``, ``_capture``, ``_void`` and ``_refund`` (PL/pgSQL, created by the database
migrations) do the whole call server-side — partner key, earlier answer under the idempotency key, member
lock, refusals, postings, the answer stored under the key by one insert at the end — and return the HTTP
status, the JSON body as text, and whether it is a replay. Python only parses the request and passes values
on, so no Session, ORM or pipeline runs per call.

Rule: the functions are a second implementation of ``programme.redemption``'s rules, kept because the
Python path cannot meet the till's latency target on PostgreSQL (bench/RESULTS.md). A change to one is a
change to both, in the same order of refusals and the same bytes; ``tests/loyalty/test_property.py`` runs
random sequences through both and ``test_till_api`` compares the bytes. They cannot emit domain events, so
:mod:`.fastpath` lets a call through to the Python path whenever a subscriber listens to what it would emit.

The connections are psycopg async connections in autocommit mode, each statement prepared on the server at
its first use. They live in :class:`TillConnections`, which the web app opens in its lifespan and closes at
shutdown. An idle connection is checked before use (one poll of its socket: the server's goodbye or end of
file means it was closed) and a closed one dropped. A connection lost during a call is dropped and the call
sent once more on a new connection: that is safe because the call carries its idempotency key — if the first
attempt committed, the retry replays its answer. When that fails too, or no connection can be opened, the call
is refused with :class:`~lottocrm.db.outage.DatabaseUnavailable` (503, Retry-After).
A call that loses a race with another call carrying the same key fails at that final insert, having
written nothing, and is sent once more to fetch the winner's answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import select
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine

from lottocrm.db.outage import DatabaseUnavailable
from lottocrm.loyalty.ledger import statements
from lottocrm.loyalty.ledger.lots import REFUND_MIN_LIFETIME
from lottocrm.loyalty.programme.velocity import WINDOW

# The idempotency table's primary key (partner, key): a till function fails on it when a concurrent call
# with the same key stored its answer first.
IDEMPOTENCY_KEY = "pk_loyalty_idempotency"

_AUTHORIZE = (
    "SELECT * FROM loyalty_till_authorize(%s::text, %s::text, %s::text, %s::text, %s::text, %s::text, "
    "%s::bigint, %s::text, %s::timestamptz, %s::timestamptz, %s::interval)"
)
_CAPTURE = (
    "SELECT * FROM loyalty_till_capture(%s::text, %s::text, %s::text, %s::text, %s::bigint, %s::bigint, "
    "%s::timestamptz)"
)
_VOID = "SELECT * FROM loyalty_till_void(%s::text, %s::text, %s::text, %s::text, %s::bigint, %s::timestamptz)"
_REFUND = (
    "SELECT * FROM loyalty_till_refund(%s::text, %s::text, %s::text, %s::text, %s::bigint, %s::bigint, "
    "%s::timestamptz, %s::interval)"
)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    replayed: bool


@dataclass(frozen=True)
class Caller:
    """Who calls, and with which key and request: key prefix and digest, idempotency key, body hash."""

    prefix: str
    digest: str
    key: str
    fingerprint: str


class TillConnections:
    """A bounded pool of async autocommit connections for the till functions, on one event loop.

    The handlers await the call, so a worker process serves other requests while PostgreSQL runs one: a
    call's locks live and die inside its one statement on the server, so no call in this process can wait
    on a lock that another call of this process holds and needs the event loop to release. At most ``size``
    calls per process are in the database at once; more wait here rather than pile up in PostgreSQL, whose
    connection slots are shared.
    """

    def __init__(self, conninfo: str, *, size: int = 8) -> None:
        self._conninfo = conninfo
        self._size = size
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def _bind_to_running_loop(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            # Connections belong to the loop that opened them; an app driven from a new loop (a test
            # client used without its lifespan) starts afresh.
            self._loop, self._slots, self._idle = loop, asyncio.Semaphore(self._size), []
        return self._slots

    async def run(self, statement: str, parameters: tuple[Any, ...]) -> Answer:
        for observe in statements.round_trip_observers:
            observe([statement])
        async with self._bind_to_running_loop():
            connection = await self._healthy_idle() or await self._connect()
            lost_connection = lost_race = False
            while True:
                try:
                    cursor = await connection.execute(statement, parameters)
                    status, body, replayed = await cursor.fetchone()  # type: ignore[misc]
                except psycopg.errors.UniqueViolation as exc:
                    # Another call with this key stored its answer first; this one rolled back whole.
                    # Sent again, it finds that answer (or a 409 if the bodies differ).
                    if lost_race or exc.diag.constraint_name != IDEMPOTENCY_KEY:
                        await self._give_back(connection)
                        raise
                    lost_race = True
                    continue
                except psycopg.OperationalError as exc:
                    # Lost mid-call (pg_terminate_backend, a restart): sent once more on a new connection,
                    # not an idle one, which the same event may have cut too.
                    await connection.close()
                    if lost_connection:
                        raise DatabaseUnavailable() from exc
                    lost_connection = True
                    connection = await self._connect()
                    continue
                except BaseException:
                    await connection.close()
                    raise
                await self._give_back(connection)
                return Answer(status=status, body=body.encode("utf-8"), replayed=replayed)

    async def _healthy_idle(self) -> psycopg.AsyncConnection[Any] | None:
        """An idle connection the server has not closed, or None; the closed ones are dropped.

        An idle connection has nothing to read unless the server said goodbye (a terminated or restarted
        backend sends its error, then end of file), so one poll of its socket tells, with no round trip.
        """
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                poller = select.poll()
                poller.register(connection.pgconn.socket, select.POLLIN)
                if not poller.poll(0):
                    return connection
            await connection.close()
        return None

    async def _give_back(self, connection: psycopg.AsyncConnection[Any]) -> None:
        if self._closed:
            await connection.close()
        else:
            self._idle.append(connection)

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        try:
            # prepare_threshold=0: every statement is prepared on its first run, not its sixth.
            return await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True, prepare_threshold=0)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable() from exc

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


def open_for(engine: Engine) -> TillConnections | None:
    """Connections for the till functions, or None when the database has none (SQLite)."""
    if engine.dialect.driver != "psycopg":
        return None
    url = engine.url.set(drivername="postgresql")
    return TillConnections(url.render_as_string(hide_password=False))


async def authorize(
    connections: TillConnections,
    caller: Caller,
    *,
    card_number: str | None,
    refusal: str | None,
    points: int,
    reference: str | None,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> Answer:
    """``refusal``: why the card reference was refused before any lookup (stored under the key as unknown)."""
    return await connections.run(
        _AUTHORIZE,
        (
            caller.prefix,
            caller.digest,
            caller.key,
            caller.fingerprint,
            card_number,
            refusal,
            points,
            reference,
            now,
            expires_at,
            WINDOW,
        ),
    )


async def capture(
    connections: TillConnections, caller: Caller, *, hold_id: int, points: int | None, now: dt.datetime
) -> Answer:
    return await connections.run(
        _CAPTURE, (caller.prefix, caller.digest, caller.key, caller.fingerprint, hold_id, points, now)
    )


async def void(connections: TillConnections, caller: Caller, *, hold_id: int, now: dt.datetime) -> Answer:
    return await connections.run(
        _VOID, (caller.prefix, caller.digest, caller.key, caller.fingerprint, hold_id, now)
    )


async def refund(
    connections: TillConnections, caller: Caller, *, hold_id: int, points: int, now: dt.datetime
) -> Answer:
    return await connections.run(
        _REFUND,
        (
            caller.prefix,
            caller.digest,
            caller.key,
            caller.fingerprint,
            hold_id,
            points,
            now,
            REFUND_MIN_LIFETIME,
        ),
    )
