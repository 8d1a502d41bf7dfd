"""Handlers by job kind. A worker only claims kinds it has a handler for, so unknown kinds wait, visibly.

The worker's registry is built from every installed domain's wiring
(``lottocrm.events.delivery.worker_registry``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from lottocrm.jobs.service import ClaimedJob


@dataclass(frozen=True)
class JobContext:
    """What a handler gets. Handlers open their own transactions on ``engine``: a long job must not hold
    the SQLite write lock, and its own commit is what makes its effect durable."""

    job: ClaimedJob
    engine: Engine


Handler = Callable[[JobContext], None]


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@registry.register("players.erase")``. Registering a kind twice is a mistake."""

        def add(handler: Handler) -> Handler:
            if kind in self._handlers and self._handlers[kind] is not handler:
                raise ValueError(f"a handler for job kind {kind!r} is already registered")
            self._handlers[kind] = handler
            return handler

        return add

    def handler_for(self, kind: str) -> Handler:
        return self._handlers[kind]

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)
