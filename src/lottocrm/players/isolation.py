"""Running other domains' code on the 360 without letting one failure take the page down.

On PostgreSQL a failed statement aborts the whole transaction, so a contributor's query error would break
every query after it; only a savepoint contains it. One savepoint per contributor costs two round trips
each, on every page view. So the contributors run together inside one savepoint; only if one of them fails
is that savepoint rolled back and each run again inside its own, the failing ones left out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")
log = logging.getLogger(__name__)


class _Failed(Exception):
    pass


def run_isolated(session: Session, calls: Sequence[tuple[str, Callable[[], T]]]) -> tuple[list[T], list[str]]:
    """(results of the calls that succeeded, in order; names of those that failed, logged)."""
    try:
        with session.begin_nested():
            results = []
            for name, call in calls:
                try:
                    results.append(call())
                except Exception as exc:
                    raise _Failed(name) from exc
            return results, []
    except _Failed:
        pass
    results, failed = [], []
    for name, call in calls:
        try:
            with session.begin_nested():
                results.append(call())
        except Exception:
            log.exception("%s failed; left out of the page", name)
            failed.append(name)
    return results, failed
