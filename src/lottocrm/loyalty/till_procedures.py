"""The till's redemption calls on PostgreSQL: one autocommitted function call, one round trip each.

``loyalty_till_authorize``, ``_capture``, ``_void`` and ``_refund`` (migration 0012) do the whole call
server-side — partner key, idempotency claim, member lock, refusals, postings, stored answer — and return
the HTTP status, the JSON body as text, and whether it is a replay. Python only parses the request and
passes values on, so no Session, ORM or pipeline runs per call.

The connections are plain psycopg connections in autocommit mode, each statement prepared on the server at
its first use. They live in :class:`TillConnections`, which the web app opens in its lifespan and closes at
shutdown. A connection that fails is dropped and the call is sent once more on a fresh one: that is safe
because the call carries its idempotency key — if the first attempt committed, the retry replays its answer.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine

from lottocrm.loyalty import batch
from lottocrm.loyalty.ledger import REFUND_MIN_LIFETIME
from lottocrm.loyalty.velocity import WINDOW

_AUTHORIZE = (
    "SELECT * FROM loyalty_till_authorize(%s::text, %s::text, %s::text, %s::text, %s::text, %s::text, "
    "%s::text, %s::bigint, %s::text, %s::timestamptz, %s::timestamptz, %s::interval)"
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
    """A small pool of autocommit connections for the till functions.

    The redemption handlers run on the event loop without an await point, so a worker process uses one
    connection at a time; the lock only matters for callers on other threads.
    """

    def __init__(self, conninfo: str, *, keep: int = 4) -> None:
        self._conninfo = conninfo
        self._keep = keep
        self._idle: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._closed = False

    def _take(self) -> psycopg.Connection[Any]:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        # prepare_threshold=0: every statement is prepared on its first run, not its sixth.
        return psycopg.connect(self._conninfo, autocommit=True, prepare_threshold=0)

    def _give_back(self, connection: psycopg.Connection[Any]) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self._keep:
                self._idle.append(connection)
                return
        connection.close()

    def run(self, statement: str, parameters: tuple[Any, ...]) -> Answer:
        for observe in batch.round_trip_observers:
            observe([statement])
        for attempt in (1, 2):
            connection = self._take()
            try:
                status, body, replayed = connection.execute(statement, parameters).fetchone()  # type: ignore[misc]
            except psycopg.OperationalError:
                # A connection the server closed (restart, idle timeout): retried once on a fresh one.
                connection.close()
                if attempt == 2:
                    raise
                continue
            except BaseException:
                connection.close()
                raise
            self._give_back(connection)
            return Answer(status=status, body=body.encode("utf-8"), replayed=replayed)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def open_for(engine: Engine) -> TillConnections | None:
    """Connections for the till functions, or None when the database has none (SQLite)."""
    if engine.dialect.driver != "psycopg":
        return None
    url = engine.url.set(drivername="postgresql")
    return TillConnections(url.render_as_string(hide_password=False))


def authorize(
    connections: TillConnections,
    caller: Caller,
    *,
    card_number: str | None,
    phone: str | None,
    refusal: str | None,
    points: int,
    reference: str | None,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> Answer:
    """``refusal``: why the card reference was refused before any lookup (stored under the key as unknown)."""
    return connections.run(
        _AUTHORIZE,
        (
            caller.prefix,
            caller.digest,
            caller.key,
            caller.fingerprint,
            card_number,
            phone,
            refusal,
            points,
            reference,
            now,
            expires_at,
            WINDOW,
        ),
    )


def capture(
    connections: TillConnections, caller: Caller, *, hold_id: int, points: int | None, now: dt.datetime
) -> Answer:
    return connections.run(
        _CAPTURE, (caller.prefix, caller.digest, caller.key, caller.fingerprint, hold_id, points, now)
    )


def void(connections: TillConnections, caller: Caller, *, hold_id: int, now: dt.datetime) -> Answer:
    return connections.run(
        _VOID, (caller.prefix, caller.digest, caller.key, caller.fingerprint, hold_id, now)
    )


def refund(
    connections: TillConnections, caller: Caller, *, hold_id: int, points: int, now: dt.datetime
) -> Answer:
    return connections.run(
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
