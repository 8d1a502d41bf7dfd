"""When the database is out of reach: a refusal that says "come back", not a crash.

A PostgreSQL server that restarts, fails over or has its sessions terminated (``pg_terminate_backend``) cuts
the connections a request is using, and a stopped one refuses new ones. Neither is a bug of the request: it
did not commit (or, cut during COMMIT, may have — a retry with the same idempotency key replays it), and the
same request can succeed once the database is back. So the API answers 503 with ``Retry-After`` in its
documented error body instead of a 500 with a traceback.
"""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import DBAPIError

from lottocrm.errors import ServiceError

# SQLSTATEs of a lost or refused session: class 08 (connection exception), and the server shutting the
# session down (administrator command or pg_terminate_backend, crash, not accepting connections yet).
_SHUTDOWN_STATES = frozenset({"57P01", "57P02", "57P03"})


class DatabaseUnavailable(ServiceError):
    code, http_status = "database_unavailable", 503
    retry_after = 2

    def __init__(self, message: str = "the database cannot be reached; try again shortly") -> None:
        super().__init__(message)


def is_outage(error: BaseException) -> bool:
    """True for a connection refused or lost, not for an error the database answered a query with."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if not isinstance(error, psycopg.OperationalError):
        return False
    # psycopg reports a refused or broken connection without a SQLSTATE, the server's own words with one.
    state = error.sqlstate
    return state is None or state.startswith("08") or state in _SHUTDOWN_STATES
