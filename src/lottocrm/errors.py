"""The one shape of a refusal: a message for a person, a stable machine code, the HTTP status it means.

Services raise subclasses of :class:`ServiceError`; each delivery layer maps them once — the API to a JSON
body with ``code``, a page to a readable message, the CLI to a one-line error — instead of every handler
catching each class and choosing a status.
"""

from __future__ import annotations


class ServiceError(Exception):
    code = "invalid"
    http_status = 400
    # Seconds after which the same request may succeed (sent as Retry-After); None: waiting will not help.
    retry_after: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    code, http_status = "not_found", 404


class Conflict(ServiceError):
    code, http_status = "conflict", 409
